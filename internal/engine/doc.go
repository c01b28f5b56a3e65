// Package engine turns an html/template into a program that renders data to a
// tree of statics and dynamic values, and diffs two such trees.
//
// Call [Compile] first. [Program.Render] executes the template exactly as
// [html/template.Template.Execute] does (same output, same contextual escaping,
// same errors) and returns a [Tree]; [Program.RenderFrom] does the same for a
// page that holds its last tree, and copies from it the rows of ranges whose
// inputs did not change instead of executing them. [Tree.AppendJSON] encodes a
// full tree for a client that holds nothing; [AppendDiff] encodes what changed
// between two trees of the same program. The encoding is documented in
// docs/protocol.md.
//
// How it works: Compile clones the template and lets html/template escape the
// clone without executing any user code. Escaping rewrites the parse trees,
// adding the right escaper to every action for its context. Compile then
// inserts one-byte marker text nodes into the escaped trees at the start of
// every branch and range iteration. Render executes the escaped, instrumented
// clone with a writer that records every Write call; markers are recognised by
// the identity of their bytes, never by their content, so no output can be
// mistaken for one. A walk over the compiled program in step with the recorded
// writes then builds the tree, which keeps the dynamic values only (tree.go).
// The escaping is html/template's own: nothing here re-implements or bypasses
// it.
//
// Ranges whose bodies call no user code are also rewritten, so that an
// execution can skip the rows whose inputs, read from the data as values,
// are those the last tree recorded for them (memo.go, deps.go, inputs.go).
// An update then costs about what changed, not what the page holds.
//
// The package is pure: no I/O, no goroutines. A Program is safe for concurrent
// use: it makes an instrumented clone for each rendering that runs while the
// others are busy, and keeps up to 64 for later. A Tree is immutable once
// returned.
package engine
