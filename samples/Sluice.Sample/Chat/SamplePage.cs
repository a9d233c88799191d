namespace Sluice.Sample;

/// <summary>One page: #general's messages as alice sees them, rendered from the SSE feed by the browser's EventSource.</summary>
internal static class SamplePage
{
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>Sluice chat</title></head>
        <body>
        <h1>#general</h1>
        <p id="status">connecting…</p>
        <ol id="messages"></ol>
        <script>
          // EventSource reconnects by itself and sends Last-Event-ID: the feed resumes after the last message shown.
          const list = document.getElementById("messages");
          const status = document.getElementById("status");
          const source = new EventSource("/api/channels/1/events?userId=1");
          source.onopen = () => { status.textContent = "live"; };
          source.onerror = () => { status.textContent = "reconnecting…"; };
          source.addEventListener("message", e => {
            const m = JSON.parse(e.data);
            const item = document.createElement("li");
            item.value = m.seq;
            item.textContent = `${m.authorId}: ${m.body}`;
            list.appendChild(item);
            status.textContent = `live, ${list.children.length} messages`;
          });
        </script>
        </body>
        </html>
        """;
}
