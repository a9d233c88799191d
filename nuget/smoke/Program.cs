// Consumer smoke program: compiled against the packed Sluice and Sluice.Sqlite packages
// (nuget/smoke.sh copies it into a throw-away project outside the repository).
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Sluice;
using Sluice.Sqlite;

var path = Path.Combine(Path.GetTempPath(), $"sluice-smoke-{Guid.NewGuid():N}.db");
await using var worker = Notes.CreateWorker(new Notes(), new SqliteWorkerConnectionFactory($"Data Source={path}"));
await worker.StartAsync();
var client = new Notes.Client(worker);
var created = await client.AddNoteAsync("hello");
if (!created.TryGetValue(out var id)) { Console.Error.WriteLine($"add failed: {created}"); return 1; }
var missing = await client.DeleteNoteAsync(id + 1000);
if (!missing.TryGetError(out var err) || err is not NoteError.NotFound { Id: var missingId } || missingId != id + 1000) { Console.Error.WriteLine($"expected NotFound, got {missing}"); return 1; }
// DataLoaders from the package: two loads in one scope are one statement.
var second = await client.AddNoteAsync("world");
await using var reader = new SqliteConnection($"Data Source={path}");
reader.Open();
var dataLoaders = new DataLoaderScope();
var notes = new NoteQueries.NotesByIdLoader(reader, dataLoaders);
var texts = await dataLoaders.RunAsync(async _ => await Task.WhenAll(notes.LoadAsync(id), notes.LoadAsync(second.TryGetValue(out var secondId) ? secondId : -1)));
if (notes.BatchCount != 1 || texts[0]?.Text != "hello" || texts[1]?.Text != "world") { Console.Error.WriteLine($"DataLoader: {notes.BatchCount} batches"); return 1; }
// Nested rows and one-to-many from a join: each note with its text as a nested record and its tags (LEFT JOIN).
using (var ddl = reader.CreateCommand())
{
    ddl.CommandText = $"CREATE TABLE tags (note_id INTEGER NOT NULL, name TEXT NOT NULL); INSERT INTO tags VALUES ({id}, 'b'), ({id}, 'a')";
    ddl.ExecuteNonQuery();
}
var tagged = await NoteQueries.NotesWithTagsAsync(reader);
if (tagged.Count != 2 || tagged[0].Body.Text != "hello" || string.Join(",", tagged[0].Tags.Select(t => t.Name)) != "a,b" || tagged[1].Tags.Count != 0) { Console.Error.WriteLine($"nested rows: {string.Join("; ", tagged)}"); return 1; }
// A [WireErrors] union through a source-generated JSON context (the NativeAOT setup) keeps its wire form.
var json = System.Text.Json.JsonSerializer.Serialize<NoteError>(new NoteError.NotFound(7), SmokeJson.Default.NoteError);
if (json != """{"reason":"not-found","error":{"id":7}}""") { Console.Error.WriteLine($"JSON context wrote {json}"); return 1; }
// Mapped values (issue 13): a typed id, a converter, an enum by name and a JSON column through the same JSON context.
using (var ddl = reader.CreateCommand())
{
    ddl.CommandText = "CREATE TABLE cards (id INTEGER PRIMARY KEY, state TEXT NOT NULL, price INTEGER NOT NULL, meta TEXT NOT NULL)";
    ddl.ExecuteNonQuery();
}

await reader.InsertCardAsync(new CardId(1), CardState.InReview, new Cents(1250), new CardMeta("teal", ["a", "b"]));
await reader.InsertCardAsync(new CardId(2), CardState.Done, new Cents(99), new CardMeta("red", []));
var cards = await reader.CardsAsync([new CardId(2), new CardId(1), new CardId(3)]);
var card = cards[new CardId(1)];
var stored = await reader.StoredStateAsync(new CardId(1));
if (cards.Count != 2 || card.State != CardState.InReview || card.Price != new Cents(1250) || card.Meta.Color != "teal" || card.Meta.Labels.Length != 2 || stored != "in_review")
{
    Console.Error.WriteLine($"mapped values: {cards.Count} cards, {card}, stored '{stored}'");
    return 1;
}

string rejected;
try
{
    await reader.InsertCardAsync(new CardId(3), CardState.Draft, new Cents(-1), new CardMeta("x", []));
    rejected = "nothing";
}
catch (ValueMappingException exception)
{
    rejected = exception.Member;
}

if (rejected != "parameter 'price'" || (await reader.CardsAsync([new CardId(3)])).Count != 0) { Console.Error.WriteLine($"converter rejection: {rejected}"); return 1; }
Console.WriteLine($"smoke ok: note {id}, {missing}, loaded {texts.Length} in {notes.BatchCount} batch, {tagged[0].Tags.Count} tags of '{tagged[0].Body.Text}', {json}, card {card.Id.Value} {card.State} {card.Price.Amount} {card.Meta.Color} stored '{stored}', rejected {rejected}");
return 0;

[WireErrors]
[JsonConverter(typeof(WireErrorJsonConverter<NoteError>))]
public abstract partial record NoteError
{
    public sealed partial record NotFound(long Id) : NoteError;
}
public sealed partial record AddNote(string Text) : ICommand<long, NoteError>;
public sealed partial record DeleteNote(long Id) : ICommand<Done, NoteError>;

[Worker]
public sealed partial class Notes
{
    [Handler]
    private Result<long, NoteError> Handle(AddNote command, WorkerContext<SqliteConnection> context)
    {
        using (var ddl = context.CreateCommand("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")) ddl.ExecuteNonQuery();
        using var insert = context.CreateCommand("INSERT INTO notes (text) VALUES ($text) RETURNING id");
        var p = insert.CreateParameter(); p.ParameterName = "$text"; p.Value = command.Text; insert.Parameters.Add(p);
        return (long)insert.ExecuteScalar()!;
    }

    [Handler]
    private Result<Done, NoteError> Handle(DeleteNote command, WorkerContext<SqliteConnection> context)
    {
        using var delete = context.CreateCommand("DELETE FROM notes WHERE id = $id");
        var p = delete.CreateParameter(); p.ParameterName = "$id"; p.Value = command.Id; delete.Parameters.Add(p);
        return delete.ExecuteNonQuery() == 0 ? new NoteError.NotFound(command.Id) : Done.Value;
    }
}

public sealed record NoteRow(long Id, string Text);

public sealed record NoteBody(string Text);
public sealed record NoteTag(string Name);
public sealed record TaggedNote(long Id, NoteBody Body, IReadOnlyList<NoteTag> Tags);

public static partial class NoteQueries
{
    [BulkLoader("SELECT id, text FROM notes WHERE id IN (SELECT value FROM json_each($1))", DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, NoteRow>> NotesByIdAsync(SqliteConnection db, IReadOnlyCollection<long> ids);

    [Query("SELECT n.id, n.text AS body_text, t.name AS tag_name FROM notes n LEFT JOIN tags t ON t.note_id = n.id ORDER BY n.id, t.name")]
    public static partial Task<List<TaggedNote>> NotesWithTagsAsync(SqliteConnection db);
}

public readonly record struct CardId(long Value);

public readonly record struct Cents(long Amount);

public sealed class CentsConverter : ISluiceConverter<Cents, long>
{
    public static long ToProvider(Cents value) => value.Amount < 0 ? throw new ArgumentOutOfRangeException(nameof(value), "a price is never negative") : value.Amount;

    public static Cents FromProvider(long value) => new(value);
}

[EnumAsText(Casing = EnumTextCasing.SnakeCase)]
public enum CardState { Draft, InReview, Done }

public sealed record CardMeta(string Color, string[] Labels);

[SluiceConverter(typeof(CentsConverter))]
public sealed record Card(CardId Id, CardState State, Cents Price, [JsonColumn(typeof(SmokeJson))] CardMeta Meta);

public static partial class CardQueries
{
    [Query("INSERT INTO cards (id, state, price, meta) VALUES ($1, $2, $3, $4)")]
    public static partial Task<int> InsertCardAsync(this SqliteConnection db, CardId id, CardState state, [SluiceConverter(typeof(CentsConverter))] Cents price, [JsonColumn(typeof(SmokeJson))] CardMeta meta);

    [BulkLoader("SELECT id, state, price, meta FROM cards WHERE id IN (SELECT value FROM json_each($1))")]
    public static partial Task<IReadOnlyDictionary<CardId, Card>> CardsAsync(this SqliteConnection db, IReadOnlyCollection<CardId> ids);

    [Query("SELECT state FROM cards WHERE id = $1")]
    public static partial Task<string?> StoredStateAsync(this SqliteConnection db, CardId id);
}

[JsonSerializable(typeof(NoteError))]
[JsonSerializable(typeof(CardMeta))]
internal sealed partial class SmokeJson : JsonSerializerContext;
