package livetemplatetest

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// The HTML standard's value sanitization: what an input's value property
// reads for a value attribute (or a typed value) that its type does not
// accept. A number field holding "abc" reads "", so the browser sends "".

const asciiSpace = " \t\n\f\r"

func isASCIISpace(r rune) bool { return strings.ContainsRune(asciiSpace, r) }

var (
	newlines = strings.NewReplacer("\r", "", "\n", "")
	number   = regexp.MustCompile(`^-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$`)
	color    = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	dateTime = regexp.MustCompile(`^([0-9]{4,}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,3})?)?)$`)
	clock    = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,3})?)?$`)
	week     = regexp.MustCompile(`^([0-9]{4,})-W([0-9]{2})$`)
)

// sanitize returns the value of an input of type t whose value is v.
func sanitize(n *html.Node, t, v string) string {
	switch t {
	case "url":
		return strings.Trim(newlines.Replace(v), asciiSpace)
	case "email":
		return sanitizeEmail(n, v)
	case "number":
		if number.MatchString(v) {
			return v
		}
		return ""
	case "range":
		return sanitizeRange(n, v)
	case "color":
		if color.MatchString(v) {
			return strings.ToLower(v)
		}
		return "#000000"
	case "date", "month", "week", "time", "datetime-local":
		return sanitizeTime(t, v)
	}
	return newlines.Replace(v) // text, search, tel, password
}

func sanitizeEmail(n *html.Node, v string) string {
	if !hasAttr(n, "multiple") {
		return strings.Trim(newlines.Replace(v), asciiSpace)
	}
	parts := strings.Split(v, ",")
	for i, p := range parts {
		parts[i] = strings.Trim(p, asciiSpace)
	}
	return strings.Join(parts, ",")
}

// sanitizeRange clamps v to the range's min and max (0 and 100 by default)
// and rounds it to its step (1 by default); a value that is not a number
// is the middle of the range.
func sanitizeRange(n *html.Node, v string) string {
	lo, hi := floatAttr(n, "min", 0), floatAttr(n, "max", 100)
	if hi < lo {
		hi = lo
	}
	x := lo + (hi-lo)/2
	if number.MatchString(v) {
		x, _ = strconv.ParseFloat(v, 64)
	}
	x = math.Min(math.Max(x, lo), hi)
	if s, _ := attr(n, "step"); !strings.EqualFold(strings.Trim(s, asciiSpace), "any") {
		step := floatAttr(n, "step", 1)
		if step <= 0 {
			step = 1
		}
		x = lo + math.Round((x-lo)/step)*step
		if x > hi {
			x -= step
		}
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

func floatAttr(n *html.Node, name string, def float64) float64 {
	s, _ := attr(n, name)
	if !number.MatchString(s) {
		return def
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return def
	}
	return f
}

// sanitizeTime returns v if it is a valid value of its type ("" if not);
// a datetime-local is normalized: "T" between date and time, and no
// seconds when they are zero.
func sanitizeTime(t, v string) string {
	switch t {
	case "date":
		if validDate(v) {
			return v
		}
	case "month":
		if validDate(v + "-01") {
			return v
		}
	case "week":
		if validWeek(v) {
			return v
		}
	case "time":
		if clock.MatchString(v) {
			return v
		}
	case "datetime-local":
		m := dateTime.FindStringSubmatch(v)
		if m != nil && validDate(m[1]) && clock.MatchString(m[2]) {
			return m[1] + "T" + normalizeClock(m[2])
		}
	}
	return ""
}

// validDate reports whether v is a valid date string: yyyy-mm-dd with a
// year of four or more digits, above 0.
func validDate(v string) bool {
	y, rest, ok := strings.Cut(v, "-")
	if !ok || len(y) < 4 || len(rest) != 5 || !allDigits(y) || !allDigits(rest[:2]) || rest[2] != '-' || !allDigits(rest[3:]) {
		return false
	}
	year, err := strconv.Atoi(y)
	if err != nil || year < 1 {
		return false
	}
	mo, _ := strconv.Atoi(rest[:2])
	d, _ := strconv.Atoi(rest[3:])
	return mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(year, mo)
}

func daysIn(year, month int) int {
	return time.Date(2000+year%400, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// validWeek reports whether v is a valid week string: yyyy-Www, with a
// week that the year has (52, or 53 in a year that starts on a Thursday,
// or a leap year that starts on a Wednesday).
func validWeek(v string) bool {
	m := week.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	y, err := strconv.Atoi(m[1])
	w, _ := strconv.Atoi(m[2])
	if err != nil || y < 1 || w < 1 {
		return false
	}
	jan1 := time.Date(2000+y%400, 1, 1, 0, 0, 0, 0, time.UTC).Weekday()
	weeks := 52
	if jan1 == time.Thursday || (jan1 == time.Wednesday && daysIn(y, 2) == 29) {
		weeks = 53
	}
	return w <= weeks
}

// normalizeClock drops seconds that are zero, and a fraction's trailing
// zeros.
func normalizeClock(c string) string {
	hm, sec, ok := strings.Cut(c[3:], ":")
	if !ok {
		return c
	}
	s, frac, _ := strings.Cut(sec, ".")
	frac = strings.TrimRight(frac, "0")
	switch {
	case frac != "":
		return c[:3] + hm + ":" + s + "." + frac
	case s != "00":
		return c[:3] + hm + ":" + s
	}
	return c[:3] + hm
}
