package livetemplatetest

import (
	"encoding/json"
	"errors"
	"maps"
	"regexp"
)

// What the browser client sends for a binding whose value is a list of
// client-side commands (client/src/commands.ts): the events of its push
// commands, in order, each with the binding's data plus the command's
// value. The other commands (show, hide, add-class...) change the page in
// the browser alone: the server, and so this client, never sees them; nor
// does it follow a dispatch command's DOM event to the bindings it may
// reach.

// knownCommand matches the names of the client's commands.
var knownCommand = regexp.MustCompile(`^(show|hide|toggle|(add|remove|toggle)-class|(set|remove)-attr|focus|dispatch|transition|push)$`)

// command is a client-side command as a binding lists it: [name, args].
type command struct {
	name string
	args struct {
		Event string            `json:"event"`
		Value map[string]string `json:"value"`
	}
}

func (c *command) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw) == 0 {
		return errors.New("a command without a name")
	}
	if err := json.Unmarshal(raw[0], &c.name); err != nil {
		return err
	}
	if len(raw) > 1 {
		return json.Unmarshal(raw[1], &c.args)
	}
	return nil
}

// binds returns what a binding of value v sends with data: the event v
// names, or, for a list of commands (v starts with "["), the events of its
// push commands. A list that runs commands in the browser alone gives one
// sent without a name, which sendAll skips: the binding did act. A list
// that the browser refuses (not JSON, or naming an unknown command) gives
// nothing, as it sends nothing.
func binds(v string, data map[string]any) []sent {
	if v == "" || v[0] != '[' {
		return []sent{{v, data}}
	}
	var list []command
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		return nil
	}
	for _, c := range list {
		if !knownCommand.MatchString(c.name) {
			return nil
		}
	}
	out := []sent{{}}
	for _, c := range list {
		if c.name != "push" {
			continue
		}
		d := maps.Clone(data)
		for k, x := range c.args.Value {
			d[k] = x
		}
		out = append(out, sent{c.args.Event, d})
	}
	if len(out) > 1 {
		out = out[1:]
	}
	return out
}
