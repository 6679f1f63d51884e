package radius

import "strconv"

// Cause is an Error-Cause value (RFC 5176 §3.6), named by the dictionary.
type Cause uint32

// The causes the BNG adapter and the twin's server speak of.
const (
	UnsupportedAttribute       Cause = 401
	MissingAttribute           Cause = 402
	NASIdentificationMismatch  Cause = 403
	InvalidRequest             Cause = 404
	UnsupportedService         Cause = 405
	UnsupportedExtension       Cause = 406
	InvalidAttributeValue      Cause = 407
	AdministrativelyProhibited Cause = 501
	RequestNotRoutable         Cause = 502
	SessionContextNotFound     Cause = 503
	SessionContextNotRemovable Cause = 504
	ProxyProcessingError       Cause = 505
	ResourcesUnavailable       Cause = 506
	RequestInitiated           Cause = 507
	MultipleSessionSelection   Cause = 508
)

// String is the cause's name in the dictionary, or its number.
func (c Cause) String() string {
	if name, ok := dict.byName[ErrorCause].values[uint32(c)]; ok {
		return name
	}
	return strconv.FormatUint(uint64(c), 10)
}

// CauseOf reads an Error-Cause attribute's value ("Session-Context-Not-Found"
// or "503"), and whether it is one.
func CauseOf(v string) (Cause, bool) {
	def := dict.byName[ErrorCause]
	if n, ok := def.byName[v]; ok {
		return Cause(n), true
	}
	var n uint32
	for _, r := range v {
		if r < '0' || r > '9' || n > 1<<28 {
			return 0, false
		}
		n = n*10 + uint32(r-'0')
	}
	return Cause(n), v != ""
}
