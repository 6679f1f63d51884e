package engine

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type stateItem struct {
	ID    string
	Steps []int
}

type stateOfPart struct {
	Name   string
	Orders []stateItem
	Counts []int
	Empty  []stateItem
}

func partState(orders int) stateOfPart {
	st := stateOfPart{Name: "ROM", Counts: []int{3, 1}}
	for i := range orders {
		st.Orders = append(st.Orders, stateItem{ID: fmt.Sprintf("RO-%04d", i), Steps: []int{i, i % 7}})
	}
	return st
}

// A state with a slice longer than a run is sent in runs; it decodes to
// the same value, and decoded then encoded again gives the same bytes
// (§2: restore-then-snapshot).
func TestStateInRuns(t *testing.T) {
	for _, orders := range []int{stateRun + 1, 3*stateRun + 5} {
		st := partState(orders)
		b, err := EncodeState(&st)
		require.NoError(t, err)
		assert.Equal(t, byte(stateInRuns), b[0])
		var back stateOfPart
		require.NoError(t, DecodeState(b, &back))
		assert.Equal(t, st, back)
		again, err := EncodeState(&back)
		require.NoError(t, err)
		assert.Equal(t, b, again)
	}
}

// A state with no long slice, and one saved whole before states were sent
// in runs, are plain gob: both decode as they always did.
func TestStateWhole(t *testing.T) {
	small := partState(stateRun)
	b, err := EncodeState(&small)
	require.NoError(t, err)
	var plain stateOfPart
	require.NoError(t, gob.NewDecoder(bytes.NewReader(b)).Decode(&plain), "a short state is plain gob")
	assert.Equal(t, small, plain)

	long := partState(2 * stateRun)
	var whole bytes.Buffer
	require.NoError(t, gob.NewEncoder(&whole).Encode(&long))
	var back stateOfPart
	require.NoError(t, DecodeState(whole.Bytes(), &back))
	assert.Equal(t, long, back)
}

// A state in runs that is cut short, or decoded into another type, is an
// error naming what is wrong.
func TestStateInRunsRefused(t *testing.T) {
	st := partState(2*stateRun + 1)
	b, err := EncodeState(&st)
	require.NoError(t, err)
	var back stateOfPart
	assert.ErrorContains(t, DecodeState(b[:len(b)-10], &back), "Orders[128:]")
	var other struct{ Name string }
	assert.ErrorContains(t, DecodeState(b, &other), "the state has 129 elements of a field Orders, which a struct { Name string } does not have")
}

// A Shelver's bodies are whole gob streams that DecodeState reads back,
// the first value of a type and the later ones alike, several types
// through one Shelver too; a stream cut short is an error.
func TestShelver(t *testing.T) {
	type item struct {
		ID    string
		Chars map[string]string
	}
	type doc struct {
		ID    string
		Items []item
		N     int
	}
	var s Shelver
	docs := []doc{{ID: "a"}, {ID: "b", Items: []item{{ID: "b1", Chars: map[string]string{"k": "v"}}}, N: 2},
		{ID: "c", Items: make([]item, 100), N: -3},
		{ID: strings.Repeat("long ", 20000), Items: []item{{ID: strings.Repeat("x", 300)}}}} // messages of 3 and 2 length bytes
	for _, d := range docs {
		body, err := s.Encode(&d)
		require.NoError(t, err)
		var got doc
		require.NoError(t, DecodeState(body, &got))
		assert.Equal(t, d.ID, got.ID)
		assert.Equal(t, d.Items, got.Items)
		assert.Equal(t, d.N, got.N)
		assert.Len(t, got.Items, len(d.Items))
	}
	body, err := s.Encode(&item{ID: "other type", Chars: map[string]string{"x": "y"}})
	require.NoError(t, err)
	var it item
	require.NoError(t, DecodeState(body, &it))
	assert.Equal(t, "other type", it.ID)
	assert.Equal(t, "y", it.Chars["x"])
	_, err = lastMessage([]byte{5, 1, 2})
	assert.ErrorContains(t, err, "cut short")

	// In two (Doc): the head is the preamble as it stood, shared and
	// never changed by what is encoded after; head and body are Encode's
	// body.
	type other struct{ Name string }
	var two Shelver
	var heads, bodies [][]byte
	for _, v := range []any{&docs[1], &docs[2], &other{Name: "a type met later"}} {
		head, body, err := two.Doc(v)
		require.NoError(t, err)
		heads, bodies = append(heads, head), append(bodies, body)
	}
	assert.Equal(t, heads[0], heads[1], "no type met: the same head")
	assert.Greater(t, len(heads[2]), len(heads[1]), "a type met: the head grows")
	assert.Equal(t, heads[1], heads[2][:len(heads[1])])
	for i, want := range []*doc{&docs[1], &docs[2]} {
		var got doc
		require.NoError(t, DecodeState(store.Doc{Head: heads[i], Body: bodies[i]}.Whole(), &got))
		assert.Equal(t, want.Items, got.Items)
		assert.Equal(t, want.N, got.N)
	}
	var later other
	require.NoError(t, DecodeState(append(slices.Clone(heads[2]), bodies[2]...), &later))
	assert.Equal(t, "a type met later", later.Name)
}

// savedBefore and grownSince are one state in two builds: the later one
// has fields more, and one moved.
type (
	savedBefore struct {
		Orders []string
		Name   string
		Steps  []int
		Ends   []int
	}
	grownSince struct {
		Count  int
		Steps  []int
		Orders []string
		Keys   []string
		Name   string
		Ends   []int
	}
	shrunk struct {
		Orders []string
		Name   string
	}
)

// A state saved in runs is read by a later build whose struct grew (a
// field more, one moved): its long slices go to their fields by name, as
// its other fields do. One whose struct lost a long field says which.
func TestStateGrownSinceSaved(t *testing.T) {
	before := savedBefore{Name: "som", Ends: []int{1, 2}}
	for i := range 3*stateRun + 5 {
		before.Orders = append(before.Orders, fmt.Sprintf("SO-%03d", i))
		before.Steps = append(before.Steps, i*i)
	}
	b, err := EncodeState(&before)
	require.NoError(t, err)
	require.Equal(t, byte(stateInRuns), b[0], "the long slices in runs")
	names, ok := gobStructFields(b[1:])
	require.True(t, ok)
	assert.Equal(t, []string{"Orders", "Name", "Steps", "Ends"}, names)

	var grown grownSince
	require.NoError(t, DecodeState(b, &grown))
	assert.Equal(t, grownSince{Steps: before.Steps, Orders: before.Orders, Name: "som", Ends: before.Ends}, grown)

	err = DecodeState(b, &shrunk{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a field Steps")

	_, ok = gobStructFields(b[1:20])
	assert.False(t, ok, "a stream cut short")
}
