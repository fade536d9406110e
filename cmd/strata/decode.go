package main

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// decoder fills config structs from the YAML syntax tree, field by field,
// so that an error names the setting (its path, like "namespaces[0].ttl"),
// the bad value and, for a file, the line, where a YAML library's own
// decoding says only "cannot unmarshal string into int". The tree comes
// from github.com/goccy/go-yaml's parser, which keeps comments, so CONFIG
// REWRITE can edit the same tree and write it back (rewrite.go).
//
// Struct fields are matched by their yaml tag; a key no field names is
// refused, at any depth. Types with an UnmarshalText method (units.Size,
// units.Duration, policy.Strategy) decode a scalar's text, and those with
// an UnmarshalYAML(ast.Node) method (compressConfig) decode themselves.
type decoder struct {
	// file names the source in errors; "" means the value came from a flag.
	file string
	// anchors holds the nodes of the document's &anchors, for *aliases.
	anchors map[string]ast.Node
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	nodeUnmarshaler = reflect.TypeFor[yaml.NodeUnmarshaler]()
)

// parsePosition finds the line and message in a parse error of
// github.com/goccy/go-yaml.
var parsePosition = regexp.MustCompile(`^\[(\d+):\d+\] (.*)`)

// parseYAML parses a YAML document; file names it in errors. It returns
// nil for an empty document.
func parseYAML(data []byte, file string) (*ast.File, ast.Node, error) {
	f, err := parser.ParseBytes(data, parser.ParseComments)
	if err != nil {
		// "[2:6] found an invalid key" as the decoder's errors read:
		// "strata.yaml:2: found an invalid key".
		msg := yaml.FormatError(err, false, false)
		if m := parsePosition.FindStringSubmatch(msg); m != nil {
			return nil, nil, fmt.Errorf("%s:%s: %s", file, m[1], m[2])
		}
		return nil, nil, fmt.Errorf("%s: %s", file, msg)
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return f, nil, nil
	}
	if len(f.Docs) > 1 {
		return nil, nil, fmt.Errorf("%s: more than one YAML document", file)
	}
	body := f.Docs[0].Body
	if c, ok := body.(*ast.CommentGroupNode); ok && c != nil {
		return f, nil, nil // comments only
	}
	return f, body, nil
}

// decode stores node into v, which must be addressable; path names v in
// errors.
func (d *decoder) decode(node ast.Node, v reflect.Value, path string) error {
	node, err := d.resolve(node, path)
	if err != nil {
		return err
	}
	if node.Type() == ast.NullType {
		v.Set(reflect.Zero(v.Type())) // "key:" with no value leaves the zero value
		return nil
	}
	if pt := v.Addr().Type(); pt.Implements(textUnmarshaler) || pt.Implements(nodeUnmarshaler) {
		return d.leaf(node, v, path)
	}
	switch v.Kind() {
	case reflect.Struct:
		return d.mapping(node, path, "a mapping of settings", func(key, val ast.Node, name, keyPath string) error {
			f, ok := fieldByTag(v, name)
			if !ok {
				return d.errorf(key, "", "unknown setting %q", keyPath)
			}
			return d.decode(val, f, keyPath)
		})
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		return d.mapping(node, path, "a mapping", func(key, val ast.Node, _, keyPath string) error {
			k := reflect.New(v.Type().Key()).Elem()
			if err := d.leaf(key, k, keyPath); err != nil {
				return err
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := d.decode(val, e, keyPath); err != nil {
				return err
			}
			v.SetMapIndex(k, e)
			return nil
		})
	case reflect.Slice:
		seq, ok := node.(*ast.SequenceNode)
		if !ok {
			return d.errorf(node, path, "want a list, got %s", describe(node))
		}
		s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			if err := d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if err := d.decode(node, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	return d.leaf(node, v, path)
}

// resolve follows anchors, aliases and tags to the node holding the value.
func (d *decoder) resolve(node ast.Node, path string) (ast.Node, error) {
	for {
		switch n := node.(type) {
		case *ast.AnchorNode:
			if d.anchors == nil {
				d.anchors = map[string]ast.Node{}
			}
			d.anchors[n.Name.GetToken().Value] = n.Value
			node = n.Value
		case *ast.AliasNode:
			target, ok := d.anchors[n.Value.GetToken().Value]
			if !ok {
				return nil, d.errorf(n, path, "unknown alias *%s", n.Value.GetToken().Value)
			}
			node = target
		case *ast.TagNode:
			node = n.Value
		default:
			return node, nil
		}
	}
}

// mapping calls fn for each key and value of a mapping node; want says
// what node must be in errors. (The parser refuses a key given twice.)
func (d *decoder) mapping(node ast.Node, path, want string, fn func(key, val ast.Node, name, keyPath string) error) error {
	m, ok := node.(*ast.MappingNode)
	if !ok {
		return d.errorf(node, path, "want %s, got %s", want, describe(node))
	}
	for _, mv := range m.Values {
		name := mv.Key.GetToken().Value
		keyPath := name
		if path != "" {
			keyPath = path + "." + name
		}
		if err := fn(mv.Key, mv.Value, name, keyPath); err != nil {
			return err
		}
	}
	return nil
}

// leaf decodes a scalar, or a type that decodes itself, rewording errors.
func (d *decoder) leaf(node ast.Node, v reflect.Value, path string) error {
	if u, ok := v.Addr().Interface().(yaml.NodeUnmarshaler); ok {
		if err := u.UnmarshalYAML(node); err != nil {
			return d.errorf(node, path, "%v", err)
		}
		return nil
	}
	if !isScalar(node) {
		return d.errorf(node, path, "want %s, got %s", typeName(v.Type()), describe(node))
	}
	text := node.GetToken().Value
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		if err := u.UnmarshalText([]byte(text)); err != nil {
			return d.errorf(node, path, "%v", err)
		}
		return nil
	}
	var err error
	switch v.Kind() {
	case reflect.String:
		v.SetString(text) // a number or a boolean is its text: requirepass: 123
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var n int64
		if n, err = strconv.ParseInt(strings.ReplaceAll(text, "_", ""), 0, v.Type().Bits()); err == nil && node.Type() == ast.IntegerType {
			v.SetInt(n)
			return nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var n uint64
		if n, err = strconv.ParseUint(strings.ReplaceAll(text, "_", ""), 0, v.Type().Bits()); err == nil && node.Type() == ast.IntegerType {
			v.SetUint(n)
			return nil
		}
	case reflect.Float32, reflect.Float64:
		var f float64
		if f, err = strconv.ParseFloat(text, v.Type().Bits()); err == nil && (node.Type() == ast.FloatType || node.Type() == ast.IntegerType) {
			v.SetFloat(f)
			return nil
		}
	case reflect.Bool:
		if b, ok := node.(*ast.BoolNode); ok {
			v.SetBool(b.Value)
			return nil
		}
	default:
		return d.errorf(node, path, "cannot hold a %s", v.Type())
	}
	return d.errorf(node, path, "invalid value %q: want %s", text, typeName(v.Type()))
}

func (d *decoder) errorf(node ast.Node, path, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	if d.file == "" {
		return errors.New("--" + msg)
	}
	return fmt.Errorf("%s:%d: %s", d.file, node.GetToken().Position.Line, msg)
}

// fieldByTag returns the field of struct v whose yaml tag names key.
func fieldByTag(v reflect.Value, key string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name == key && name != "-" {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// isScalar reports whether node holds one value.
func isScalar(node ast.Node) bool {
	switch node.Type() {
	case ast.MappingType, ast.MappingValueType, ast.SequenceType, ast.DocumentType, ast.CommentGroupType, ast.CommentType:
		return false
	}
	return true
}

// describe shows a node in an error: a scalar's text, else its kind.
func describe(node ast.Node) string {
	switch {
	case node.Type() == ast.MappingType:
		return "a mapping"
	case node.Type() == ast.SequenceType:
		return "a list"
	case isScalar(node):
		return fmt.Sprintf("%q", node.GetToken().Value)
	}
	return "nothing"
}

// typeName says in words what a setting of type t takes.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	return t.String()
}
