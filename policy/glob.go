package policy

// Glob patterns, with the exact semantics of Redis's stringmatchlen: '*',
// '?', '[abc]', '[^a-z]', and '\' escapes. Namespace rules, invalidation
// patterns, KEYS, SCAN and PSUBSCRIBE all use them, so that a pattern
// means the same thing everywhere.

// maxDepth bounds recursion on patterns with many '*', as Redis 7.0 does, so
// a hostile pattern cannot exhaust the stack.
const maxDepth = 1000

// Match reports whether s matches pattern.
func Match(pattern, s string) bool {
	skipLongerMatches := false
	return match(pattern, s, false, &skipLongerMatches, 0)
}

// MatchFold is Match ignoring ASCII case.
func MatchFold(pattern, s string) bool {
	skipLongerMatches := false
	return match(pattern, s, true, &skipLongerMatches, 0)
}

// Literal returns the prefix of pattern before its first special character,
// and whether the pattern is that literal prefix followed by a single '*'
// (or nothing), so that matching it is a prefix test.
func Literal(pattern string) (prefix string, isPrefix bool) {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '*':
			return pattern[:i], i == len(pattern)-1
		case '?', '[', '\\':
			return pattern[:i], false
		}
	}
	return pattern, false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func match(p, s string, nocase bool, skipLonger *bool, depth int) bool {
	if depth > maxDepth {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if match(p[1:], s, nocase, skipLonger, depth+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			matched := false
			for {
				if len(p) > 0 && p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						matched = true
					}
				} else if len(p) > 0 && p[0] == ']' {
					break
				} else if len(p) == 0 {
					p = " " // Redis treats a missing ']' as ending here
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end := p[0], p[2]
					if start > end {
						start, end = end, start
					}
					c := s[0]
					if nocase {
						start, end, c = lower(start), lower(end), lower(c)
					}
					p = p[2:]
					if c >= start && c <= end {
						matched = true
					}
				} else if nocase && lower(p[0]) == lower(s[0]) || p[0] == s[0] {
					matched = true
				}
				p = p[1:]
			}
			if not {
				matched = !matched
			}
			if !matched {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if nocase && lower(p[0]) != lower(s[0]) || !nocase && p[0] != s[0] {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}
