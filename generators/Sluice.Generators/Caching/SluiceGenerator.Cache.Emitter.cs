using System.Globalization;
using System.Linq;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>
    /// Writes a <c>[Cached]</c> method's cache (a static <c>SluiceCache</c> property) and its cache-aside counterpart, and
    /// a command record's <c>ICacheInvalidating</c> implementation.
    /// </summary>
    internal static class CacheEmitter
    {
        public static string HintName(CachedSpec spec) => GeneratedFile.HintName(spec.Type, spec.MethodName + ".Cached");

        public static string HintName(InvalidatesSpec spec) => GeneratedFile.HintName(spec.Type, "Invalidates");

        public static string Emit(CachedSpec spec)
        {
            var writer = GeneratedFile.Start();
            GeneratedFile.WriteInType(writer, spec.Type, $"partial {spec.Type.Keyword} {spec.Type.Name}", () =>
            {
                WriteCache(writer, spec);
                writer.WriteLine();
                if (spec.IsLoader)
                {
                    WriteCachedLoader(writer, spec);
                }
                else
                {
                    WriteCachedQuery(writer, spec);
                }
            });
            return writer.ToString();
        }

        public static string Emit(InvalidatesSpec spec)
        {
            var writer = GeneratedFile.Start();
            GeneratedFile.WriteInType(writer, spec.Type, $"partial {spec.Type.Keyword} {spec.Type.Name} : global::Sluice.ICacheInvalidating", () =>
            {
                writer.WriteLine("/// <summary>The cache entries this command makes stale; the worker evicts them after the command's transaction commits.</summary>");
                writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
                using (writer.Braces("void global::Sluice.ICacheInvalidating.CollectInvalidations(global::Sluice.CacheInvalidationSet invalidations)"))
                {
                    foreach (var invalidation in spec.Invalidations)
                    {
                        var cache = invalidation.CacheOwnerFullyQualifiedName + "." + invalidation.CacheProperty;
                        var members = invalidation.Members.Select(m => "this." + m).ToArray();
                        if (invalidation.Kind == InvalidationKind.Tags)
                        {
                            using (writer.Braces($"foreach (var tagValue in {members[0]})"))
                            {
                                writer.WriteLine(TagInvalidation(cache, invalidation, "tagValue"));
                            }

                            continue;
                        }

                        writer.WriteLine(invalidation.Kind switch
                        {
                            InvalidationKind.Key => $"invalidations.Add({cache}, {KeyExpression(invalidation.KeyShape, invalidation.KeyPartTypes, members)});",
                            InvalidationKind.Keys => $"invalidations.AddRange({cache}, {members[0]});",
                            InvalidationKind.Tag => TagInvalidation(cache, invalidation, members[0]),
                            _ => $"invalidations.AddClear({cache});",
                        });
                    }
                }
            });
            return writer.ToString();
        }

        /// <summary><c>invalidations.AddWhere(cache, "tag", value, static (key, value) => key.ItemN == value)</c>.</summary>
        private static string TagInvalidation(string cache, InvalidationSpec invalidation, string value)
        {
            var part = invalidation.KeyShape == CacheKeyShape.Direct ? "key" : "key.Item" + (invalidation.TagIndex + 1).ToString(CultureInfo.InvariantCulture);
            var match = $"static (key, value) => global::System.Collections.Generic.EqualityComparer<{invalidation.TagType}>.Default.Equals({part}, value)";
            if (invalidation.TagText is not { } text)
            {
                return $"invalidations.AddWhere({cache}, {Naming.Literal(invalidation.TagName!)}, {value}, {match});"; // a backplane clears that cache
            }

            // The tag's value as key-part text: a backplane sends the group, and other instances evict only it.
            var index = invalidation.TagIndex.ToString(CultureInfo.InvariantCulture);
            var count = invalidation.TagPartCount.ToString(CultureInfo.InvariantCulture);
            return $"invalidations.AddWhere({cache}, {Naming.Literal(invalidation.TagName!)}, {value}, {match}, {index}, {count}, static value => {KeyFormat(text, "value")});";
        }

        // A data source outlives the call and is thread-safe: the cache may keep it, so fail-safe retries in the background.
        private const string SharedStateArgument = "global::Sluice.CacheStateLifetime.Shared";

        private static void WriteSharedState(SourceWriter writer, CachedSpec spec)
        {
            if (spec.SharedState)
            {
                writer.WriteLine(SharedStateArgument + ",");
            }
        }

        private static void WriteCache(SourceWriter writer, CachedSpec spec)
        {
            var ttl = spec.TtlTicks.ToString(CultureInfo.InvariantCulture);
            var keyType = KeyType(spec.KeyShape, spec.KeyPartTypes);
            var types = $"{keyType}, {spec.ValueTypeFullyQualifiedName}";
            var failSafe = spec.MaxStaleTicks > 0
                ? $"; fail-safe serves the last value up to {new System.TimeSpan(spec.MaxStaleTicks).ToString("c", CultureInfo.InvariantCulture)} past that when a reload fails"
                : string.Empty;
            writer.WriteLine($"/// <summary>");
            writer.WriteLine($"/// The definition of <see cref=\"{spec.CacheProperty}\"/>: up to {spec.Capacity.ToString(CultureInfo.InvariantCulture)} entries, each living {new System.TimeSpan(spec.TtlTicks).ToString("c", CultureInfo.InvariantCulture)} after it was written{failSafe}.");
            writer.WriteLine($"/// A <see cref=\"global::Sluice.SluiceCacheRegistry\"/> (<c>AddSluiceCaches</c>, or a test's scope) creates the instance, and may change these settings by name.");
            writer.WriteLine($"/// </summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"{spec.Accessibility} static global::Sluice.SluiceCacheDefinition<{types}> {spec.CacheProperty}Definition {{ get; }} = new(new global::Sluice.SluiceCacheOptions<{keyType}>");
            writer.WriteLine("{");
            writer.Indentation++;
            writer.WriteLine($"Name = {Naming.Literal(spec.CacheName)},");
            writer.WriteLine($"Capacity = {spec.Capacity.ToString(CultureInfo.InvariantCulture)},");
            writer.WriteLine($"TimeToLive = global::System.TimeSpan.FromTicks({ttl}L),");
            writer.WriteLine($"CacheAbsent = {(spec.CacheAbsent ? "true" : "false")},");
            if (spec.MaxStaleTicks > 0)
            {
                writer.WriteLine($"FailSafeMaxStale = global::System.TimeSpan.FromTicks({spec.MaxStaleTicks.ToString(CultureInfo.InvariantCulture)}L),");
            }

            if (spec.RetryAfterTicks > 0)
            {
                writer.WriteLine($"FailSafeRetryAfter = global::System.TimeSpan.FromTicks({spec.RetryAfterTicks.ToString(CultureInfo.InvariantCulture)}L),");
            }

            if (spec.KeyText.Count > 0)
            {
                WriteKeyCodec(writer, spec);
            }

            writer.Indentation--;
            writer.WriteLine("});");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>The cache behind <see cref=\"{spec.CachedMethodName}\"/>: <see cref=\"{spec.CacheProperty}Definition\"/>'s instance in <see cref=\"global::Sluice.SluiceCacheRegistry.Current\"/>.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"{spec.Accessibility} static global::Sluice.SluiceCache<{types}> {spec.CacheProperty} => {spec.CacheProperty}Definition.Cache;");
        }

        private static string Signature(CachedSpec spec) =>
            string.Join(", ", spec.Parameters.Select(p =>
                (p.IsThis ? "this " : string.Empty) + p.TypeFullyQualifiedName + " " + p.Name + (p.DefaultValue is null ? string.Empty : " = " + p.DefaultValue)));

        /// <summary>The cache's key type: the one key itself, <c>Sluice.Done</c> for none, a value tuple for several (or a nullable one).</summary>
        private static string KeyType(CacheKeyShape shape, EquatableArray<string> parts) => shape switch
        {
            CacheKeyShape.Done => "global::Sluice.Done",
            CacheKeyShape.Direct => parts[0],
            CacheKeyShape.Single => $"global::System.ValueTuple<{parts[0]}>",
            _ => "(" + string.Join(", ", parts) + ")",
        };

        /// <summary>The key built from <paramref name="expressions"/>, one per key part.</summary>
        private static string KeyExpression(CacheKeyShape shape, EquatableArray<string> parts, string[] expressions) => shape switch
        {
            CacheKeyShape.Done => "global::Sluice.Done.Value",
            CacheKeyShape.Direct => expressions[0],
            CacheKeyShape.Single => $"new global::System.ValueTuple<{parts[0]}>({expressions[0]})",
            _ => "(" + string.Join(", ", expressions) + ")",
        };

        /// <summary>Key ↔ text for a backplane: one part written directly, several joined.</summary>
        private static void WriteKeyCodec(SourceWriter writer, CachedSpec spec)
        {
            if (spec.KeyShape == CacheKeyShape.Direct)
            {
                var part = spec.KeyText[0];
                writer.WriteLine($"KeyFormatter = static k => {KeyFormat(part, "k")},");
                writer.WriteLine($"KeyParser = static s => {KeyParse(part, "s")},");
                return;
            }

            var formats = spec.KeyText.Select((p, i) => KeyFormat(p, $"k.Item{i + 1}"));
            var parses = spec.KeyText.Select((p, i) => KeyParse(p, $"p[{i}]"));
            var count = spec.KeyText.Count.ToString(CultureInfo.InvariantCulture);
            writer.WriteLine($"KeyFormatter = static k => global::Sluice.CacheKeyText.Join({string.Join(", ", formats)}),");
            writer.WriteLine($"KeyParser = static s => {{ var p = global::Sluice.CacheKeyText.Split(s, {count}); return ({string.Join(", ", parses)}); }},");
        }

        private const string Invariant = "global::System.Globalization.CultureInfo.InvariantCulture";

        private static string KeyFormat(CacheKeyTextSpec part, string value) =>
            ProviderFormat(part, part.Mapping is { } mapping ? ValueMappingCode.ToProvider(mapping, value, "cache key", "key") : value);

        private static string KeyParse(CacheKeyTextSpec part, string text) =>
            part.Mapping is { } mapping ? ValueMappingCode.FromProvider(mapping, ProviderParse(part, text), "cache key", "key", nullable: false) : ProviderParse(part, text);

        private static string ProviderFormat(CacheKeyTextSpec part, string value) => part.Kind switch
        {
            CacheKeyTextKind.String => value,
            CacheKeyTextKind.Boolean => $"({value} ? \"1\" : \"0\")",
            CacheKeyTextKind.Integer => $"{value}.ToString({Invariant})",
            _ => $"{value}.ToString(\"D\")",
        };

        private static string ProviderParse(CacheKeyTextSpec part, string text) => part.Kind switch
        {
            CacheKeyTextKind.String => text,
            CacheKeyTextKind.Boolean => $"({text} == \"1\" ? true : {text} == \"0\" ? false : throw new global::System.FormatException())",
            CacheKeyTextKind.Integer => $"{part.TypeFullyQualifiedName}.Parse({text}, global::System.Globalization.NumberStyles.Integer, {Invariant})",
            _ => $"global::System.Guid.ParseExact({text}, \"D\")",
        };

        private static string ConnectionName(CachedSpec spec) => spec.Parameters.First(p => p.Role == CachedParameterRole.Connection).Name;

        private static string CancellationName(CachedSpec spec) =>
            spec.Parameters.FirstOrDefault(p => p.Role == CachedParameterRole.Cancellation)?.Name ?? "global::System.Threading.CancellationToken.None";

        private static void WriteCachedQuery(SourceWriter writer, CachedSpec spec)
        {
            var keyCount = spec.Parameters.Count(p => p.Role == CachedParameterRole.Key);
            var direct = spec.KeyShape == CacheKeyShape.Direct;
            var arguments = string.Join(", ", spec.Parameters.Select(p => p.Role switch
            {
                CachedParameterRole.Connection => "state",
                CachedParameterRole.Cancellation => "cancellationToken",
                _ => keyCount == 0 ? "default" : direct ? "key" : "key.Item" + (p.KeyIndex + 1).ToString(CultureInfo.InvariantCulture),
            }));
            var keyExpression = KeyExpression(spec.KeyShape, spec.KeyPartTypes, spec.Parameters.Where(p => p.Role == CachedParameterRole.Key).OrderBy(p => p.KeyIndex).Select(p => p.Name).ToArray());
            var call = $"{spec.MethodName}({arguments})" + (spec.SourceReturnsValueTask ? ".AsTask()" : string.Empty);
            writer.WriteLine($"/// <summary>");
            writer.WriteLine($"/// <see cref=\"{spec.MethodName}\"/> through <see cref=\"{spec.CacheProperty}\"/>: a hit returns the cached value without a query;");
            writer.WriteLine($"/// concurrent misses for one key run one query. Share the value, do not mutate it."
                + (spec.SharedState ? " The data source may be used after the call: fail-safe retries a failed reload in the background." : string.Empty));
            writer.WriteLine($"/// </summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"{spec.Accessibility} static {spec.ReturnTypeFullyQualifiedName} {spec.CachedMethodName}({Signature(spec)}) =>");
            writer.Indentation++;
            var lifetime = spec.SharedState ? SharedStateArgument + ", " : string.Empty;
            writer.WriteLine($"{spec.CacheProperty}.GetOrAddAsync({keyExpression}, static (key, state, cancellationToken) => {call}, {ConnectionName(spec)}, {lifetime}{CancellationName(spec)});");
            writer.Indentation--;
        }

        private static void WriteCachedLoader(SourceWriter writer, CachedSpec spec)
        {
            var keys = spec.Parameters.First(p => p.Role == CachedParameterRole.Key).Name;
            var keyType = KeyType(spec.KeyShape, spec.KeyPartTypes);
            var isLookup = spec.LoaderContainer is LoaderContainer.RowLookup or LoaderContainer.ILookup;
            var dictionaryType = $"global::System.Collections.Generic.IReadOnlyDictionary<{keyType}, {spec.ValueTypeFullyQualifiedName}>";
            var arguments = string.Join(", ", spec.Parameters.Select(p => p.Role switch
            {
                CachedParameterRole.Connection => "state",
                CachedParameterRole.Cancellation => "cancellationToken",
                _ => "missing",
            }));
            var loaded = $"await {spec.MethodName}({arguments}).ConfigureAwait(false)";
            if (spec.LoaderContainer == LoaderContainer.ILookup)
            {
                loaded = $"(global::Sluice.RowLookup<{keyType}, {spec.RowTypeFullyQualifiedName}>){loaded}";
            }

            writer.WriteLine($"/// <summary>");
            writer.WriteLine($"/// <see cref=\"{spec.MethodName}\"/> through <see cref=\"{spec.CacheProperty}\"/>: cached keys are served from the cache and only the");
            writer.WriteLine($"/// missing ones are loaded, in one call. Same result as the loader: distinct keys in request order, "
                + (isLookup ? "every key present (empty when it has no rows)." : "a key without a row left out."));
            writer.WriteLine($"/// </summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"{spec.Accessibility} static async {spec.ReturnTypeFullyQualifiedName} {spec.CachedMethodName}({Signature(spec)})"))
            {
                if (isLookup)
                {
                    // The runtime de-duplicates the keys once and fills the result with the cache's row lists: no row is copied.
                    writer.WriteLine("return await global::Sluice.CacheRuntime.GetLookupAsync(");
                    writer.Indentation++;
                    writer.WriteLine($"{spec.CacheProperty},");
                    writer.WriteLine($"{keys},");
                    writer.WriteLine($"static async (missing, state, cancellationToken) => {loaded},");
                    writer.WriteLine($"{ConnectionName(spec)},");
                    WriteSharedState(writer, spec);
                    writer.WriteLine($"{CancellationName(spec)}).ConfigureAwait(false);");
                    writer.Indentation--;
                    return;
                }

                writer.WriteLine($"var values = await {spec.CacheProperty}.GetManyAsync(");
                writer.Indentation++;
                writer.WriteLine($"{keys},");
                writer.WriteLine($"static async (missing, state, cancellationToken) => ({dictionaryType}){loaded},");
                writer.WriteLine($"{ConnectionName(spec)},");
                WriteSharedState(writer, spec);
                writer.WriteLine($"{CancellationName(spec)}).ConfigureAwait(false);");
                writer.Indentation--;
                writer.WriteLine("return values;");
            }
        }
    }
}
