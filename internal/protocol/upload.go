package protocol

import (
	"slices"
	"strconv"
)

// Limits of an upload message.
const (
	MaxUploadName  = 64  // bytes of an upload's name
	MaxUploadFiles = 64  // files in one upload message
	MaxFileName    = 255 // bytes of a file's name
	MaxFileType    = 128 // bytes of a file's content type
)

// File is a file that an upload message asks to upload: its name and
// content type as the browser gives them ("" for a type it does not know)
// and its size in bytes. Every key is required.
type File struct {
	Name string `json:"name"`
	Size uint64 `json:"size"`
	Type string `json:"type"`
}

// Grant is the server's leave to upload one file: its upload id and the
// token that every HTTP request of the upload carries. Put, when set, is
// a presigned URL to which the browser PUTs the file's bytes instead (the
// upload goes straight to storage), with the headers Header.
type Grant struct {
	ID     string
	Token  string
	Put    string
	Header map[string]string
}

// Upload encodes the answer to an upload message: where to send the files
// (endpoint) and a grant per file, in the order the message gave them.
// {"type":"upload","endpoint":"/live/uploads/","files":[{"id":"up_1","token":"..."}]};
// a grant with Put adds "put":"<url>" and, with Header, "headers":{...}.
func Upload(endpoint string, grants []Grant) []byte {
	b := appendString([]byte(`{"type":"upload","endpoint":`), endpoint)
	b = append(b, `,"files":[`...)
	for i, g := range grants {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(append(b, `{"id":`...), g.ID)
		b = appendString(append(b, `,"token":`...), g.Token)
		b = appendPut(b, g)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendPut appends the put URL of g and its headers, if any, in the
// order of their names.
func appendPut(b []byte, g Grant) []byte {
	if g.Put == "" {
		return b
	}
	b = appendString(append(b, `,"put":`...), g.Put)
	if len(g.Header) == 0 {
		return b
	}
	names := make([]string, 0, len(g.Header))
	for k := range g.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	b = append(b, `,"headers":{`...)
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(append(appendString(b, k), ':'), g.Header[k])
	}
	return append(b, '}')
}

// JoinedUploads encodes the message that ends a join, as [Joined] does,
// with the page's declared uploads: uploads is their JSON object (the
// caller's, made by encoding/json), or empty for none.
func JoinedUploads(v uint64, uploads []byte) []byte {
	if len(uploads) == 0 {
		return Joined(v)
	}
	b := []byte(`{"type":"joined","v":`)
	b = strconv.AppendUint(b, v, 10)
	b = append(b, `,"uploads":`...)
	b = append(b, uploads...)
	return append(b, '}')
}

// files reads the files of an upload message: an array of objects, each
// with the keys name, size and type once.
func (d *decoder) files() ([]File, error) {
	if d.i >= len(d.b) || d.b[d.i] != '[' {
		return nil, d.wrongType(keyFiles, "array")
	}
	d.i++
	out := []File{}
	if d.space(); d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return out, nil
	}
	for {
		if len(out) == MaxUploadFiles {
			return nil, badMessage(`"files" has more than %d files`, MaxUploadFiles)
		}
		d.space()
		f, err := d.file()
		if err != nil {
			return nil, err
		}
		out = append(out, f)
		d.space()
		if d.i < len(d.b) && d.b[d.i] == ',' {
			d.i++
			continue
		}
		return out, d.expect(']', "after array element")
	}
}

// file reads one file of an upload message.
func (d *decoder) file() (File, error) {
	var f File
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return f, badMessage(`a file of "files" is not a JSON object`)
	}
	d.i++
	seen := map[string]bool{}
	for {
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return f, d.syntax(d.i, "looking for beginning of object key string")
		}
		name, err := d.string()
		if err != nil {
			return f, err
		}
		k := string(name)
		if k != "name" && k != "size" && k != "type" || seen[k] {
			return f, badMessage("%q is not a key of a file, or appears twice", clip(k))
		}
		seen[k] = true
		d.space()
		if err := d.expect(':', "after object key"); err != nil {
			return f, err
		}
		d.space()
		if err := d.fileValue(&f, k); err != nil {
			return f, err
		}
		d.space()
		if d.i < len(d.b) && d.b[d.i] == ',' {
			d.i++
			continue
		}
		if err := d.expect('}', "after object key:value pair"); err != nil {
			return f, err
		}
		if len(seen) != 3 {
			return f, badMessage(`a file of "files" lacks one of name, size and type`)
		}
		return f, nil
	}
}

// fileValue reads the value of key k of a file into f.
func (d *decoder) fileValue(f *File, k string) error {
	var err error
	if k == "size" {
		f.Size, err = d.uint(keyFiles)
		return err
	}
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return badMessage("a file's %q is not a JSON string", k)
	}
	b, err := d.string()
	if k == "name" {
		f.Name = string(b)
	} else {
		f.Type = string(b)
	}
	return err
}

// checkUpload checks an upload message's fields.
func checkUpload(m *Message) error {
	if err := checkString("ref", m.Ref, MaxRef, true); err != nil {
		return err
	}
	if err := checkString("name", m.Name, MaxUploadName, true); err != nil {
		return err
	}
	if len(m.Files) == 0 {
		return badMessage(`"files" is missing or empty`)
	}
	for _, f := range m.Files {
		if err := checkString("files' name", f.Name, MaxFileName, true); err != nil {
			return err
		}
		if err := checkString("files' type", f.Type, MaxFileType, false); err != nil {
			return err
		}
	}
	return nil
}
