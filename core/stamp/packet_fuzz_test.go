package stamp

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse feeds the readers anything: they never panic, refuse what is
// short, and what they read writes back to the same 44 octets but for the
// must-be-zero ones.
func FuzzParse(f *testing.F) {
	f.Add(Test{Seq: 1, Timestamp: 0xea07cb9040000000, Error: 0x8411}.Append(nil))
	f.Add(Reflected{Seq: 2, Timestamp: 3, Error: 0x8001, Receive: 4, SenderSeq: 5, SenderTime: 6, SenderError: 1, SenderTTL: 255}.Append(nil))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseTest(b)
		if len(b) < PacketSize {
			require.Error(t, err)
			_, err = ParseReflected(b)
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		again, err := ParseTest(p.Append(nil))
		require.NoError(t, err)
		require.Equal(t, p, again)
		r, err := ParseReflected(b)
		require.NoError(t, err)
		out := r.Append(nil)
		require.Len(t, out, PacketSize)
		for _, i := range []int{0, 4, 12, 16, 24, 28, 36, 40} {
			require.Equal(t, b[i], out[i], "octet %d", i)
		}
		back, err := ParseReflected(out)
		require.NoError(t, err)
		require.Equal(t, r, back)
	})
}
