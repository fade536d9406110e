package storage

// sizeClasses are the Go runtime's small-object allocation size classes
// (runtime/sizeclasses.go). Accounting a payload by its size class rather
// than its length makes used_memory track what keys really cost.
var sizeClasses = [...]int{
	0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280,
	1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528,
	6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432,
	19072, 20480, 21760, 24576, 27264, 28672, 32768,
}

// allocSize returns the bytes the runtime allocates for an object of n bytes.
// It looks the class up in two tables, as the runtime does: a search of
// sizeClasses mispredicts its branches, and memory accounting sizes
// several objects per write (perf: 6% of XADD's CPU).
func allocSize(n int) int {
	switch {
	case n <= 0:
		return 0
	case n <= smallSizeMax:
		return int(classBySize8[(n+7)>>3])
	case n <= 32768:
		return int(classBySize128[(n-smallSizeMax+127)>>7])
	}
	const page = 8192
	return (n + page - 1) / page * page
}

// smallSizeMax is the size up to which classes are looked up by 8 bytes;
// by 128 bytes from there to 32 KB (the runtime's smallSizeMax and
// largeSizeDiv).
const smallSizeMax = 1024

// classBySize8 and classBySize128 map a size, rounded up to 8 or 128
// bytes, to its class's size.
var classBySize8, classBySize128 = func() (by8 [smallSizeMax/8 + 1]uint16, by128 [(32768-smallSizeMax)/128 + 1]uint16) {
	class := 0
	for i := range by8 {
		for sizeClasses[class] < i*8 {
			class++
		}
		by8[i] = uint16(sizeClasses[class])
	}
	for i := range by128 {
		for sizeClasses[class] < smallSizeMax+i*128 {
			class++
		}
		by128[i] = uint16(sizeClasses[class])
	}
	return by8, by128
}()

// entryOverhead is what one key costs besides its record: its entry and
// slot in the shard's keyTable.
const entryOverhead = keyEntryCost

// volatileOverhead is the extra cost of a key with a TTL: its slot in the
// shard's volatile index, a Go map of 8-byte hashes. Measured (used_test.go)
// at 24 bytes a key with 200,000 keys and 38 with 1M: the map's load
// depends on where it is between doublings.
const volatileOverhead = 28
