// Package engine turns an html/template into a program that renders data to a
// tree of statics and dynamic values, and diffs two such trees.
//
// Call [Compile] first. [Program.Render] executes the template exactly as
// [html/template.Template.Execute] does (same output, same contextual escaping,
// same errors) and returns a [Tree]. [Tree.AppendJSON] encodes a full tree for
// a client that holds nothing; [AppendDiff] encodes what changed between two
// trees of the same program. The encoding is documented in docs/protocol.md.
//
// How it works: Compile clones the template and lets html/template escape the
// clone without executing any user code. Escaping rewrites the parse trees,
// adding the right escaper to every action for its context. Compile then
// inserts one-byte marker text nodes into the escaped trees at the start of
// every branch and range iteration. Render executes the escaped, instrumented
// clone with a writer that records every Write call; markers are recognised by
// the identity of their bytes, never by their content, so no output can be
// mistaken for one. A walk over the compiled program in step with the recorded
// writes then rebuilds the tree. The escaping is html/template's own: nothing
// here re-implements or bypasses it.
//
// The package is pure: no I/O, no goroutines. A Program is safe for concurrent
// use; a Tree is immutable once returned.
package engine
