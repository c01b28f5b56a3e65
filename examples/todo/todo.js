// The to-do list's page script. The script tag of livetemplate.js connects the list, which every
// viewer shares; this connects the form, which is this viewer's own page (what they type, and
// what the server finds wrong with it), on the same connection.
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("draft");
  const draft = new LiveTemplateClient({
    root,
    presetToken: root.dataset.token,
    version: Number(root.dataset.version),
  });
  draft.connect("/live");

  // Adding is a pushEvent rather than lvt-submit, to empty the field once the server has
  // answered: the client never overwrites the field the user is typing in. The ack comes after
  // the draft's change, so by then the field's value attribute is the server's answer: "" when
  // the item was added, the title when it was refused (the form shows why).
  // The event's reply is the new item's number: {id, title}, or nothing when the title was
  // refused.
  const added = document.getElementById("added");
  root.addEventListener("submit", (e) => {
    e.preventDefault();
    const title = e.target.elements.title;
    draft.pushEvent("add", { title: title.value }).then(
      (reply) => {
        title.value = title.getAttribute("value");
        added.textContent = reply ? `Added “${reply.title}” as #${reply.id}.` : "";
      },
      () => {}, // the client's error event has it
    );
  });
});
