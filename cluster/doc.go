// Package cluster scales a LiveTemplate application out on NATS: several
// instances of the application serve the same pages, any instance serves any
// token, and every change of a page reaches the connections of every
// instance.
//
//	nc, err := nats.Connect(url)
//	app, err := livetemplate.NewApplication(
//		livetemplate.WithSigningKeys(key), // the same keys on every instance
//		cluster.WithNATS(nc, cluster.WithState[Todos]("todos")),
//	)
//
// Page records live in a JetStream key-value bucket (one key per page, with
// the page's time to live); each instance holds a lease there, a key that
// expires unless the instance renews it. Changes and events travel on core
// NATS subjects. Messages of topics (livetemplate's Application.Publish) go
// to a JetStream stream, numbered, kept for [TopicRetention]: the instance
// that takes a page over runs the messages its former owner had not run
// (the cluster is a livetemplate.TopicLog).
//
// # Owners and followers
//
// Each page has one owner instance, named in its record: the instance that
// created it, or that took it over. The owner runs the page's event handlers
// one at a time, writes the new record (data, version and the results of the
// page's latest events) to the bucket with compare-and-swap on the record's
// revision, and only then acknowledges the event and publishes the change.
// Another instance that a client joins the page on follows the page: it
// renders the owner's changes for its own connections and forwards their
// events to the owner. When the owner's lease lapses (it died, or lost NATS
// for longer than the lease), the first instance that needs the page takes
// it over by writing the record with its own id, on the revision it read:
// one instance wins, and the former owner's later writes are refused. The
// new owner has the results of the page's latest events from the record, so
// an event that the former owner applied is acknowledged again, not run
// again.
//
// # State types
//
// A page's data is stored, and sent to followers, encoded by a [Codec]
// (JSON by default), and decoded on another instance into the type
// registered for the page's template with [WithState]. Every template of a
// clustered application needs one. A state type must survive the codec:
// with JSON, its fields are exported (or have a json tag), it holds no
// channels, functions or cycles, and what the template reads of it (fields
// and methods) depends only on what is encoded; a page's data is always a
// value of exactly that type, never a pointer to it.
package cluster
