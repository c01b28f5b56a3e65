// Package docs_test checks that the guide's programs work as the guide
// tells a newcomer to write and run them.
package docs_test

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate/livetemplatetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestFromAnEmptyFolder follows the guide's "From an empty folder" as a
// newcomer does: in a new folder beside a checkout of this repository it
// runs the guide's commands, writes the guide's files, builds the program,
// serves it and uses its pages; then it makes the changes of the second
// program, and does the same again.
func TestFromAnEmptyFolder(t *testing.T) {
	guide, err := os.ReadFile("guide.md")
	if err != nil {
		t.Fatal(err)
	}
	first := section(t, string(guide), "### 1. ")
	second := section(t, string(guide), "### 2. ")

	dir := t.TempDir()
	checkout, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(checkout, filepath.Join(dir, "livetemplate")); err != nil {
		t.Fatal(err)
	}
	run(t, dir, "sh", "-e", "-c", block(t, first, "sh", 0)) // mkdir counter && cd counter, go mod init...
	work := filepath.Join(dir, "counter")
	write(t, work, "counter.html", block(t, first, "html", 0))
	write(t, work, "page.html", block(t, first, "html", 1))
	write(t, work, "main.go", block(t, first, "go", 0))
	t.Run("page per connection", func(t *testing.T) { perConnection(t, serve(t, work)) })

	write(t, work, "counter.html", block(t, second, "html", 0))
	if err := os.Remove(filepath.Join(work, "page.html")); err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile(filepath.Join(work, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, work, "main.go", secondMain(t, second, string(main)))
	t.Run("page shared by its link", func(t *testing.T) { sharedByLink(t, serve(t, work)) })
}

// TestDeclarations: the guide's Go code outside "From an empty folder" is
// declarations of one program, as the guide says, which compile together
// (and pass go vet) in a new module beside the checkout.
func TestDeclarations(t *testing.T) {
	guide, err := os.ReadFile("guide.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(guide), section(t, string(guide), "## From an empty folder"), "", 1)
	var code, tests []string
	for _, b := range regexp.MustCompile("(?s)\n```go\n(.*?)\n```").FindAllStringSubmatch(text, -1) {
		if strings.Contains(b[1], "func Test") {
			tests = append(tests, b[1])
		} else {
			code = append(code, b[1])
		}
	}
	dir := t.TempDir()
	checkout, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "templates/settings.html", "<p>for //go:embed templates</p>")
	write(t, dir, "main.go", goFile(strings.Join(code, "\n\n")+"\n\nfunc main() {}"))
	write(t, dir, "main_test.go", goFile(strings.Join(tests, "\n\n")))
	run(t, dir, "go", "mod", "init", "guide")
	run(t, dir, "go", "mod", "edit",
		"-replace", "github.com/livetemplate/livetemplate="+checkout,
		"-replace", "github.com/livetemplate/livetemplate/cluster="+filepath.Join(checkout, "cluster"),
		"-replace", "github.com/livetemplate/livetemplate/upload="+filepath.Join(checkout, "upload"),
		// The upload module's tests drive the browser client.
		"-replace", "github.com/livetemplate/livetemplate/client="+filepath.Join(checkout, "client"))
	run(t, dir, "go", "mod", "tidy")
	run(t, dir, "go", "vet", ".")
}

// imports are the packages that the guide's code names, by name.
var imports = map[string]string{
	"context": "context", "embed": "embed", "errors": "errors", "hex": "encoding/hex",
	"fmt": "fmt", "template": "html/template", "io": "io", "slog": "log/slog",
	"http": "net/http", "url": "net/url", "httptest": "net/http/httptest", "os": "os", "strings": "strings",
	"testing": "testing", "time": "time",
	"websocket":        "github.com/coder/websocket",
	"wsjson":           "github.com/coder/websocket/wsjson",
	"nats":             "github.com/nats-io/nats.go",
	"livetemplate":     "github.com/livetemplate/livetemplate",
	"cluster":          "github.com/livetemplate/livetemplate/cluster",
	"livetemplatetest": "github.com/livetemplate/livetemplate/livetemplatetest",
	"upload":           "github.com/livetemplate/livetemplate/upload",
	"s3":               "github.com/aws/aws-sdk-go-v2/service/s3",
}

// goFile is code as a file of package main that imports what code names.
func goFile(code string) string {
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n")
	for name, path := range imports {
		if regexp.MustCompile(`\b` + name + `\.`).MatchString(code) {
			fmt.Fprintf(&b, "\t%q\n", path)
		}
	}
	b.WriteString(")\n\n" + code + "\n")
	return b.String()
}

// TestReadmeProgram: the README's whole program, in a module that requires
// the library from a clone as the README says, prints what the README says
// it prints.
func TestReadmeProgram(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile("(?s)It prints:\n\n```\n(.*?)```").FindStringSubmatch(string(readme))
	if want == nil {
		t.Fatal("the README no longer says what its program prints: update this test")
	}
	dir := t.TempDir()
	checkout, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "main.go", block(t, string(readme), "go", 0))
	run(t, dir, "go", "mod", "init", "readme")
	commands := strings.ReplaceAll(block(t, string(readme), "sh", 0), "../livetemplate", checkout)
	run(t, dir, "sh", "-e", "-c", commands) // go mod edit -replace ..., go get ...
	cmd := exec.CommandContext(t.Context(), "go", "run", ".")
	cmd.Dir, cmd.Env = dir, goEnv()
	out, err := cmd.Output()
	if err != nil || string(out) != want[1] {
		t.Errorf("go run: %v; it prints\n%s\nthe README says\n%s", err, out, want[1])
	}
}

// perConnection: the page is the HTML around the root, and the endpoint
// makes a counter for each connection.
func perConnection(t *testing.T, addr string) {
	ctx := testContext(t)
	if html := get(t, "http://"+addr+"/"); !strings.Contains(html, "data-lvt-root") {
		t.Fatalf("GET /: no root in\n%s", html)
	}
	get(t, "http://"+addr+"/livetemplate.js")
	one, two := dial(t, ctx, addr), dial(t, ctx, addr)
	p, err := one.Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	increment(t, ctx, p, "Count: 1")
	other, err := two.Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(other.HTML(), "Count: 0") {
		t.Errorf("a second connection's counter: %s", other.HTML())
	}
}

// sharedByLink: GET / makes a counter at an address of its own, whose
// every viewer sees each change; a reload keeps the count.
func sharedByLink(t *testing.T, addr string) {
	ctx := testContext(t)
	res, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	at := res.Request.URL.Path
	token, ok := strings.CutPrefix(at, "/c/")
	if res.StatusCode != http.StatusOK || !ok || !strings.Contains(string(body), `data-token="`+token+`"`) {
		t.Fatalf("GET / ended at %s with %s:\n%s", at, res.Status, body)
	}
	one, two := dial(t, ctx, addr), dial(t, ctx, addr)
	p, err := one.Join(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	other, err := two.Join(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	increment(t, ctx, p, "Count: 1")
	if err := other.Wait(ctx, func(html string) bool { return strings.Contains(html, "Count: 1") }); err != nil {
		t.Fatalf("the other viewer: %v; holds %s", err, other.HTML())
	}
	if html := get(t, "http://"+addr+at); !strings.Contains(html, "Count: 1") {
		t.Errorf("a reload of %s:\n%s", at, html)
	}
}

func increment(t *testing.T, ctx context.Context, p *livetemplatetest.Page, want string) {
	t.Helper()
	if err := p.Event(ctx, "increment", nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.HTML(), want) { // the diff comes before the ack
		t.Fatalf("after increment: %s", p.HTML())
	}
}

// secondMain makes the second program's main.go from the first's, as the
// guide says: the //go:embed line it gives, io in the imports, and its
// routes instead of the first program's (the statements from
// `mux := http.NewServeMux()` on that call mux's methods).
func secondMain(t *testing.T, second, src string) string {
	t.Helper()
	embed := regexp.MustCompile("it becomes\\s+`(//go:embed [^`]+)`").FindStringSubmatch(second)
	if embed == nil {
		t.Fatal("section 2 does not say what the //go:embed line becomes")
	}
	src = regexp.MustCompile(`(?m)^//go:embed .*$`).ReplaceAllLiteralString(src, embed[1])
	if !strings.Contains(second, "`io` joins the imports") {
		t.Fatal("section 2 no longer adds io to the imports: update this test")
	}
	src = strings.Replace(src, "import (\n", "import (\n\t\"io\"\n", 1)
	start, end := routes(t, src)
	src = src[:start] + strings.TrimSpace(block(t, second, "go", 0)) + src[end:]
	out, err := format.Source([]byte(src))
	if err != nil {
		t.Fatalf("the second main.go: %v\n%s", err, src)
	}
	return string(out)
}

// routes returns where main's routes are in src: from the statement
// `mux := http.NewServeMux()` to the end of the last statement after it that
// calls a method of mux.
func routes(t *testing.T, src string) (start, end int) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var body []ast.Stmt
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "main" {
			body = fn.Body.List
		}
	}
	first := -1
	for i, s := range body {
		if a, ok := s.(*ast.AssignStmt); ok && len(a.Lhs) == 1 && isIdent(a.Lhs[0], "mux") {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatalf("main.go has no mux := ...:\n%s", src)
	}
	last := first
	for _, s := range body[first+1:] {
		e, ok := s.(*ast.ExprStmt)
		if !ok {
			break
		}
		call, ok := e.X.(*ast.CallExpr)
		if !ok {
			break
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !isIdent(sel.X, "mux") {
			break
		}
		last++
	}
	return fset.Position(body[first].Pos()).Offset, fset.Position(body[last].End()).Offset
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// section returns the part of the guide under the heading that starts with
// heading, up to the next heading of its level or above.
func section(t *testing.T, guide, heading string) string {
	t.Helper()
	i := strings.Index(guide, "\n"+heading)
	if i < 0 {
		t.Fatalf("the guide has no heading %q", heading)
	}
	level := strings.Index(heading, " ")
	lines := strings.SplitAfter(guide[i+1:], "\n")
	fenced, n := false, len(lines[0])
	for _, line := range lines[1:] {
		fenced = fenced != strings.HasPrefix(line, "```")
		hashes := len(line) - len(strings.TrimLeft(line, "#"))
		if !fenced && hashes > 0 && hashes <= level {
			break
		}
		n += len(line)
	}
	return guide[i+1 : i+1+n]
}

// block returns the n-th (from 0) fenced code block of language lang in
// text.
func block(t *testing.T, text, lang string, n int) string {
	t.Helper()
	for _, part := range strings.Split(text, "\n```")[1:] {
		body, ok := strings.CutPrefix(part, lang+"\n")
		if !ok {
			continue
		}
		if n == 0 {
			return body
		}
		n--
	}
	t.Fatalf("no %s block %d in\n%s", lang, n, text)
	return ""
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// goEnv is the environment of the go commands: the new module on its own,
// outside this repository's workspace.
func goEnv() []string { return append(os.Environ(), "GOWORK=off") }

func run(t *testing.T, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir, cmd.Env = dir, goEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %q in %s: %v\n%s", name, args, dir, err, out)
	}
}

// serve builds the program in dir as `go run .` would, but to serve on a
// free port instead of the guide's localhost:8080; it runs it and returns
// its address once it answers. It stops at the end of t.
func serve(t *testing.T, dir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	main, err := os.ReadFile(filepath.Join(dir, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(main, []byte(`"localhost:8080"`)) {
		t.Fatalf("main.go does not serve on localhost:8080:\n%s", main)
	}
	write(t, dir, "main.go", strings.ReplaceAll(string(main), `"localhost:8080"`, fmt.Sprintf("%q", addr)))
	bin := filepath.Join(t.TempDir(), "counter")
	run(t, dir, "go", "build", "-o", bin, ".")
	write(t, dir, "main.go", string(main)) // as the guide has it, for the next step
	var out bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("the program's output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/livetemplate.js")
		if err == nil {
			res.Body.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program does not answer on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// get returns the body of GET url, which must answer 200.
func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v\n%s", url, res.Status, err, body)
	}
	return string(body)
}

func dial(t *testing.T, ctx context.Context, addr string) *livetemplatetest.Client {
	t.Helper()
	c, err := livetemplatetest.Dial(ctx, "ws://"+addr+"/live")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
