package tabsbench

import "testing"

// TestOverload: eight tabs push events at about four times the default
// event rate, which they share, while their leader crashes twice: no
// acknowledged or pending event is lost, none runs twice, each tab's run in
// the order it pushed them, and every push settles. (Before, refused
// events were resent a second later each, out of order, and some ran twice
// once their resends came after the page's 1,024 latest ids.)
func TestOverload(t *testing.T) {
	b, err := startBrowser(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	r, err := overload(b, 8, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", r)
	if r.Events == 0 || r.Lost != 0 || r.Duplicated != 0 || r.OutOfOrder != 0 || r.Unsettled != 0 {
		t.Errorf("%d events ran: %d lost, %d run twice, %d out of order, %d unsettled", r.Events, r.Lost, r.Duplicated, r.OutOfOrder, r.Unsettled)
	}
}
