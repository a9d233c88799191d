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
                        writer.WriteLine(invalidation.Kind switch
                        {
                            "key" => $"invalidations.Add({invalidation.CacheExpression}, {invalidation.KeyExpression});",
                            "keys" => $"invalidations.AddRange({invalidation.CacheExpression}, {invalidation.KeyExpression});",
                            _ => $"invalidations.AddClear({invalidation.CacheExpression});",
                        });
                    }
                }
            });
            return writer.ToString();
        }

        private static void WriteCache(SourceWriter writer, CachedSpec spec)
        {
            var ttl = spec.TtlTicks.ToString(CultureInfo.InvariantCulture);
            writer.WriteLine($"/// <summary>The cache behind <see cref=\"{spec.CachedMethodName}\"/>: up to {spec.Capacity.ToString(CultureInfo.InvariantCulture)} entries, each living {new System.TimeSpan(spec.TtlTicks).ToString("c", CultureInfo.InvariantCulture)} after it was written.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"{spec.Accessibility} static global::Sluice.SluiceCache<{spec.KeyTypeFullyQualifiedName}, {spec.ValueTypeFullyQualifiedName}> {spec.CacheProperty} {{ get; }} = new(new global::Sluice.SluiceCacheOptions<{spec.KeyTypeFullyQualifiedName}>");
            writer.WriteLine("{");
            writer.Indentation++;
            writer.WriteLine($"Name = {Naming.Literal(spec.CacheName)},");
            writer.WriteLine($"Capacity = {spec.Capacity.ToString(CultureInfo.InvariantCulture)},");
            writer.WriteLine($"TimeToLive = global::System.TimeSpan.FromTicks({ttl}L),");
            writer.WriteLine($"CacheAbsent = {(spec.CacheAbsent ? "true" : "false")},");
            if (spec.KeyFormatter is not null && spec.KeyParser is not null)
            {
                writer.WriteLine($"KeyFormatter = {spec.KeyFormatter},");
                writer.WriteLine($"KeyParser = {spec.KeyParser},");
            }

            writer.Indentation--;
            writer.WriteLine("});");
        }

        private static string Signature(CachedSpec spec) =>
            string.Join(", ", spec.Parameters.Select(p =>
                (p.IsThis ? "this " : string.Empty) + p.TypeFullyQualifiedName + " " + p.Name + (p.DefaultValue is null ? string.Empty : " = " + p.DefaultValue)));

        private static string ConnectionName(CachedSpec spec) => spec.Parameters.First(p => p.Role == "connection").Name;

        private static string CancellationName(CachedSpec spec) =>
            spec.Parameters.FirstOrDefault(p => p.Role == "cancellation")?.Name ?? "global::System.Threading.CancellationToken.None";

        private static void WriteCachedQuery(SourceWriter writer, CachedSpec spec)
        {
            var keyCount = spec.Parameters.Count(p => p.Role == "key");
            var direct = spec.KeyExpression == spec.Parameters.FirstOrDefault(p => p.Role == "key")?.Name;
            var arguments = string.Join(", ", spec.Parameters.Select(p => p.Role switch
            {
                "connection" => "state",
                "cancellation" => "cancellationToken",
                _ => keyCount == 0 ? "default" : direct ? "key" : "key.Item" + (p.KeyIndex + 1).ToString(CultureInfo.InvariantCulture),
            }));
            var call = $"{spec.MethodName}({arguments})" + (spec.SourceReturnsValueTask ? ".AsTask()" : string.Empty);
            writer.WriteLine($"/// <summary>");
            writer.WriteLine($"/// <see cref=\"{spec.MethodName}\"/> through <see cref=\"{spec.CacheProperty}\"/>: a hit returns the cached value without a query;");
            writer.WriteLine($"/// concurrent misses for one key run one query. Share the value, do not mutate it.");
            writer.WriteLine($"/// </summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"{spec.Accessibility} static {spec.ReturnTypeFullyQualifiedName} {spec.CachedMethodName}({Signature(spec)}) =>");
            writer.Indentation++;
            writer.WriteLine($"{spec.CacheProperty}.GetOrAddAsync({spec.KeyExpression}, static (key, state, cancellationToken) => {call}, {ConnectionName(spec)}, {CancellationName(spec)});");
            writer.Indentation--;
        }

        private static void WriteCachedLoader(SourceWriter writer, CachedSpec spec)
        {
            var keys = spec.Parameters.First(p => p.Role == "key").Name;
            var isLookup = spec.LoaderContainer is "Lookup" or "ILookup";
            var dictionaryType = $"global::System.Collections.Generic.IReadOnlyDictionary<{spec.KeyTypeFullyQualifiedName}, {spec.ValueTypeFullyQualifiedName}>";
            var arguments = string.Join(", ", spec.Parameters.Select(p => p.Role switch
            {
                "connection" => "state",
                "cancellation" => "cancellationToken",
                _ => "missing",
            }));
            var loaded = $"await {spec.MethodName}({arguments}).ConfigureAwait(false)";
            if (spec.LoaderContainer == "ILookup")
            {
                loaded = $"(global::Sluice.Lookup<{spec.KeyTypeFullyQualifiedName}, {spec.RowTypeFullyQualifiedName}>){loaded}";
            }

            writer.WriteLine($"/// <summary>");
            writer.WriteLine($"/// <see cref=\"{spec.MethodName}\"/> through <see cref=\"{spec.CacheProperty}\"/>: cached keys are served from the cache and only the");
            writer.WriteLine($"/// missing ones are loaded, in one call. Same result as the loader: distinct keys in request order, "
                + (isLookup ? "every key present (empty when it has no rows)." : "a key without a row left out."));
            writer.WriteLine($"/// </summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"{spec.Accessibility} static async {spec.ReturnTypeFullyQualifiedName} {spec.CachedMethodName}({Signature(spec)})"))
            {
                writer.WriteLine($"var values = await {spec.CacheProperty}.GetManyAsync(");
                writer.Indentation++;
                writer.WriteLine($"{keys},");
                writer.WriteLine($"static async (missing, state, cancellationToken) => ({dictionaryType}){loaded},");
                writer.WriteLine($"{ConnectionName(spec)},");
                writer.WriteLine($"{CancellationName(spec)}).ConfigureAwait(false);");
                writer.Indentation--;
                if (!isLookup)
                {
                    writer.WriteLine("return values;");
                    return;
                }

                writer.WriteLine($"var keys = new global::System.Collections.Generic.List<{spec.KeyTypeFullyQualifiedName}>(values.Count);");
                writer.WriteLine("keys.AddRange(values.Keys);");
                writer.WriteLine($"var result = new global::Sluice.Lookup<{spec.KeyTypeFullyQualifiedName}, {spec.RowTypeFullyQualifiedName}>(keys);");
                using (writer.Braces("foreach (var pair in values)"))
                {
                    using (writer.Braces("for (var i = 0; i < pair.Value.Count; i++)"))
                    {
                        writer.WriteLine("result.Add(pair.Key, pair.Value[i]);");
                    }
                }

                writer.WriteLine("return result;");
            }
        }
    }
}
