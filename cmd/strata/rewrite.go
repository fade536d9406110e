package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"

	"github.com/goccy/go-yaml/ast"
)

// rewriter returns CONFIG REWRITE's writer for the config file at path
// (server.Config.RewriteConfig): it sets the changed parameters that are
// settings of the file (maxmemory, timeout, requirepass...) in the file's
// syntax tree, in place where the file has them and appended where it does
// not, and writes the tree back, so comments and the sections CONFIG does
// not know (namespaces, events) stay as they were. Parameters the file has
// no setting for (Redis's no-op ones, slowlog-*) are left out: the file
// would no longer load with them.
func rewriter(path string) func(changed map[string]string) error {
	return func(changed map[string]string) error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, body, err := parseYAML(data, path)
		if err != nil {
			return err
		}
		top, ok := body.(*ast.MappingNode)
		if body != nil && !ok {
			return fmt.Errorf("%s: the document is not a mapping of settings", path)
		}
		names := make([]string, 0, len(changed))
		for name := range changed {
			names = append(names, name)
		}
		sort.Strings(names)
		var added []*ast.MappingValueNode
		for _, name := range names {
			field, ok := fieldByTag(reflect.ValueOf(&config{}).Elem(), name)
			if !ok {
				continue
			}
			entry, err := settingNode(name, changed[name], field.Kind() == reflect.String)
			if err != nil {
				return err
			}
			if !replaceSetting(top, entry) {
				added = append(added, entry)
			}
		}
		text := ""
		if top != nil {
			top.Values = append(top.Values, added...)
			text = f.String()
		} else {
			for _, e := range added {
				text += e.String() + "\n"
			}
			text = string(data) + text
		}
		return writeFileAtomic(path, []byte(text))
	}
}

// settingNode returns "name: value" as a mapping entry; a string setting's
// value is quoted, so that a password such as "123" or "a: b" reads back
// as the same text.
func settingNode(name, value string, str bool) (*ast.MappingValueNode, error) {
	if str {
		value = strconv.Quote(value)
	}
	_, body, err := parseYAML([]byte(name+": "+value+"\n"), "CONFIG REWRITE")
	if err != nil {
		return nil, err
	}
	m, ok := body.(*ast.MappingNode)
	if !ok || len(m.Values) != 1 {
		return nil, fmt.Errorf("CONFIG REWRITE: cannot write %s as YAML", name)
	}
	return m.Values[0], nil
}

// replaceSetting gives the setting of top that entry names entry's value,
// keeping the old value's comment, and reports whether top had it.
func replaceSetting(top *ast.MappingNode, entry *ast.MappingValueNode) bool {
	if top == nil {
		return false
	}
	name := entry.Key.GetToken().Value
	for _, mv := range top.Values {
		if mv.Key.GetToken().Value != name {
			continue
		}
		if c := mv.Value.GetComment(); c != nil {
			entry.Value.SetComment(c)
		}
		mv.Replace(entry.Value)
		return true
	}
	return false
}

// writeFileAtomic replaces path with data: a crash leaves the old file or
// the new one, never a part.
func writeFileAtomic(path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".rewrite-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
