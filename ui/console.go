package ui

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store"
)

// Console is the page and its stream, as serve runs them.
type Console struct {
	// Name is the scenario served, shown in the page's title.
	Name string
	// Network is the name of the twin's network: the page offers to start
	// the library's scenarios of that network only.
	Network string
	Feed    *store.Feed
	Epoch   time.Time
	Log     *slog.Logger
	// Parties tells the party of an entity, for callers bound to one
	// (Stream.Parties).
	Parties Parties
	// ResourceUse, when set, is served at ResourceUsePath: a process that
	// runs no network answers 404 there.
	ResourceUse ResourceUse
	// Shards, on an instance of a deployment of several shards (serve
	// --shards), is how many: the page opens a stream per shard
	// (StreamPath?shard=K, which the instance sends to the one running
	// the shard), and offers none of the controls a deployment does not
	// serve. 0: a server of one store.
	Shards int
	stream *Stream
}

//go:embed page
var files embed.FS

var index = template.Must(template.ParseFS(files, "page/index.html"))

// Routes registers the page at /, its files under /console/, the
// stream at StreamPath and the resource use at ResourceUsePath.
func (c *Console) Routes(mux *http.ServeMux) {
	c.stream = &Stream{Feed: c.Feed, Epoch: c.Epoch, Log: c.Log, Parties: c.Parties}
	static, err := fs.Sub(files, "page")
	if err != nil {
		panic(err) // the embedded tree has the folder
	}
	mux.Handle("GET /console/{file}", http.StripPrefix("/console/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", c.page)
	mux.Handle("GET "+StreamPath, c.stream)
	if c.ResourceUse != nil {
		mux.HandleFunc("GET "+ResourceUsePath, c.ResourceUse.serve)
	}
}

// Close ends the stream's connections (the server stops).
func (c *Console) Close() {
	if c.stream != nil {
		c.stream.Close()
	}
}

func (c *Console) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; img-src 'self' data:")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	data := struct {
		Name, Network, Epoch, Stream, Protocol, BearerPrefix string
		Shards                                               int
	}{c.Name, c.Network, c.Epoch.UTC().Format(time.RFC3339), StreamPath, Subprotocol, auth.BearerProtocolPrefix, c.Shards}
	if err := index.Execute(w, data); err != nil && c.Log != nil {
		c.Log.Error("console page", "err", err.Error())
	}
}
