package storage

// Export and Import carry a key's value from one Store to another, as a
// cluster node hands a slot's keys to their new owner: the disk tier's
// entry encoding (codec.go), with the value decompressed, because the
// dictionaries compressed values name are the sending store's own.

// Export encodes v with its tags for Import: its kind, its value
// (decompressed), its absolute expiry. It fails for a value that does not
// decompress or a kind without a disk codec.
func (s *Store) Export(v Value, tags []string) ([]byte, error) {
	if v.Flags()&FlagCompressed != 0 {
		p, err := s.plainValue(v)
		if err != nil {
			return nil, err
		}
		v = p
	}
	return appendEntry(nil, v, tags, 0)
}

// Import decodes what Export encoded: the value, with its expiry, and its
// tags. A string value views b.
func Import(b []byte) (Value, []string, error) {
	e, err := parseEntry(b)
	if err != nil {
		return Value{}, nil, err
	}
	v, err := e.value()
	return v, e.tags, err
}
