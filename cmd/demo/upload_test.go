package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// TestChatUploadsInBrowser: in three tabs of one browser on the chat room,
// the leading tab and a follower each upload a file (their uploads slowed
// to about 1 MB/s, so that they take seconds); the leading tab closes
// mid-upload. The follower's upload goes on over HTTP and its image shows
// in the room, in the follower's tab and in the third one; the closed tab's
// file never shows, and is not kept. Then a file dropped on the room
// uploads.
func TestChatUploadsInBrowser(t *testing.T) {
	dir := t.TempDir()
	d := start(t, "-data", dir)
	url := "http://" + d.addr
	b := browsertest.Start(t)
	tabs := []*watched{phone(t, b), phone(t, b), phone(t, b)}
	for _, tab := range tabs {
		tab.Navigate(url + "/chat/")
		open(tab)
	}
	for _, tab := range tabs {
		tab.WaitFor(`liveTemplate.leader.shared && liveTemplate.leader.leader !== "" && document.querySelector("input[lvt-upload]")`, wait)
		slowUploads(t, tab, url)
	}
	var leader, uploader, viewer *watched
	for _, tab := range tabs {
		switch {
		case browsertest.MustEval[bool](tab.Tab, `liveTemplate.leader.leader === liveTemplate.leader.tab`):
			leader = tab
		case uploader == nil:
			uploader = tab
		default:
			viewer = tab
		}
	}
	files := t.TempDir()
	photo, notes := filepath.Join(files, "photo.png"), filepath.Join(files, "notes.bin")
	writePNG(t, photo, 3<<20)
	// Over one chunk (8 MiB): the request in flight as the tab closes may end, and nothing follows it.
	writeRandom(t, notes, 9<<20+512<<10)
	chooseFile(t, leader, notes)
	chooseFile(t, uploader, photo)
	for _, tab := range []*watched{leader, uploader} {
		tab.WaitFor(`+document.querySelector(".uploads li")?.getAttribute("data-lvt-upload-percent") >= 10`, wait)
	}
	if p := browsertest.MustEval[int](uploader.Tab, `+document.querySelector(".uploads li").getAttribute("data-lvt-upload-percent")`); p >= 90 {
		t.Fatalf("the follower's upload is %d%% done before the leading tab closes: not slow enough to test a handover", p)
	}
	closeTab(t, leader)
	shown := `[...document.querySelectorAll("#messages img.shot")].some(i => i.alt === "photo.png" && i.complete && i.naturalWidth === 1000)`
	for _, tab := range []*watched{uploader, viewer} {
		tab.WaitFor(shown, 3*wait)
	}
	uploader.WaitFor(`document.querySelector(".uploads li").getAttribute("data-lvt-upload-state") === "done"`, wait)
	screenshot(t, uploader, t.TempDir(), "chat-upload")
	if browsertest.MustEval[bool](viewer.Tab, `document.getElementById("messages").textContent.includes("notes.bin")`) {
		t.Error("the closed tab's file shows in the room")
	}

	// A dropped file. (Cancel mid-upload is tested in client/upload_test.go: here, tusd v2.9.1's
	// lock handover from the PATCH under way to the DELETE is a data race under -race.)
	browsertest.MustEval[bool](viewer.Tab, `(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["dropped notes"], "dropped.txt", {type: "text/plain"}));
		document.querySelector(".drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		return true;
	})()`)
	uploader.WaitFor(`[...document.querySelectorAll("#messages a[download]")].some(a => a.textContent === "dropped.txt")`, wait)
	kept, err := os.ReadDir(filepath.Join(dir, "chat-files"))
	if err != nil || len(kept) != 2 {
		t.Errorf("the room keeps %d files (%v), want the photo and the dropped file", len(kept), err)
	}
}

// slowUploads limits what tab sends to the demo's upload endpoint to about
// 1 MB/s.
func slowUploads(t *testing.T, tab *watched, url string) {
	t.Helper()
	do(t, tab, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{URLPattern: url + "/live/uploads/*", DownloadThroughput: -1, UploadThroughput: 1 << 20}},
		})
		return err
	}))
}

// closeTab closes tab as its user does, while its network conditions hold:
// the browser, not the tab's DevTools session, closes it.
func closeTab(t *testing.T, tab *watched) {
	t.Helper()
	do(t, tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, target.CloseTarget, target.CloseTargetParams{TargetID: tg.TargetID})
		return err
	}))
}

func chooseFile(t *testing.T, tab *watched, path string) {
	t.Helper()
	do(t, tab, chromedp.SetUploadFiles(chromedp.CSS("input[lvt-upload]"), []string{path}))
}

// writePNG writes a 1000x1000 PNG of noise, about n bytes (noise does not compress).
func writePNG(t *testing.T, path string, n int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 1000, 1000))
	noise := make([]byte, n)
	rand.Read(noise)
	for i := range img.Pix {
		img.Pix[i] = noise[i%n]
	}
	for y := range 1000 {
		img.Set(0, y, color.Black)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, ".png") || buf.Len() > 10<<20 {
		t.Fatalf("%s: %d bytes, over the room's limit", path, buf.Len())
	}
}

func writeRandom(t *testing.T, path string, n int) {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
