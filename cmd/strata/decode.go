package main

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder fills config structs from YAML nodes, field by field, so that an
// error names the setting (its path, like "namespaces[0].ttl"), the bad
// value and, for a file, the line. yaml.v3's own Decode says only "line 3:
// cannot unmarshal !!str into int", and its KnownFields check does not reach
// values that have their own unmarshaler.
//
// Struct fields are matched by their yaml tag; a key no field names is
// refused, at any depth. Types with an UnmarshalYAML or UnmarshalText method
// (units.Size, units.Duration, and whatever later sections bring) decode
// themselves.
type decoder struct {
	// file names the source in errors; "" means the value came from a flag.
	file string
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
)

// decode stores node into v, which must be addressable; path names v in
// errors.
func (d decoder) decode(node *yaml.Node, v reflect.Value, path string) error {
	if node.Kind == yaml.AliasNode {
		node = node.Alias
	}
	if node.Kind == yaml.ScalarNode && node.ShortTag() == "!!null" {
		v.Set(reflect.Zero(v.Type())) // "key:" with no value leaves the zero value
		return nil
	}
	if pt := v.Addr().Type(); pt.Implements(textUnmarshaler) || pt.Implements(yamlUnmarshaler) {
		return d.leaf(node, v, path)
	}
	switch v.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return d.errorf(node, path, "want a mapping of settings, got %s", describe(node))
		}
		return d.mapping(node, path, func(key, val *yaml.Node, keyPath string) error {
			f, ok := fieldByTag(v, key.Value)
			if !ok {
				return d.errorf(key, "", "unknown setting %q", keyPath)
			}
			return d.decode(val, f, keyPath)
		})
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			return d.errorf(node, path, "want a mapping, got %s", describe(node))
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		return d.mapping(node, path, func(key, val *yaml.Node, keyPath string) error {
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
		if node.Kind != yaml.SequenceNode {
			return d.errorf(node, path, "want a list, got %s", describe(node))
		}
		s := reflect.MakeSlice(v.Type(), len(node.Content), len(node.Content))
		for i, item := range node.Content {
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

// mapping calls fn for each key and value of a mapping node, refusing a key
// given twice.
func (d decoder) mapping(node *yaml.Node, path string, fn func(key, val *yaml.Node, keyPath string) error) error {
	seen := make(map[string]bool, len(node.Content)/2)
	for i := 0; i+1 < len(node.Content); i += 2 {
		key, val := node.Content[i], node.Content[i+1]
		keyPath := key.Value
		if path != "" {
			keyPath = path + "." + key.Value
		}
		if seen[key.Value] {
			return d.errorf(key, "", "%q is set twice", keyPath)
		}
		seen[key.Value] = true
		if err := fn(key, val, keyPath); err != nil {
			return err
		}
	}
	return nil
}

// leaf decodes a scalar (or a self-decoding type) with yaml.v3, rewording
// its errors.
func (d decoder) leaf(node *yaml.Node, v reflect.Value, path string) error {
	err := node.Decode(v.Addr().Interface())
	if err == nil {
		return nil
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		if node.Kind != yaml.ScalarNode {
			return d.errorf(node, path, "want %s, got %s", typeName(v.Type()), describe(node))
		}
		return d.errorf(node, path, "invalid value %q: want %s", node.Value, typeName(v.Type()))
	}
	return d.errorf(node, path, "%v", err)
}

func (d decoder) errorf(node *yaml.Node, path, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	if d.file == "" {
		return errors.New("--" + msg)
	}
	return fmt.Errorf("%s:%d: %s", d.file, node.Line, msg)
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

// describe shows a node in an error: a scalar's text, else its kind.
func describe(node *yaml.Node) string {
	switch node.Kind {
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", node.Value)
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
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
