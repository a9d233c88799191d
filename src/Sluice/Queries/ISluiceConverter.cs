namespace Sluice;

/// <summary>
/// A value converter between a model type and a type the provider reads and writes (its provider type), called by
/// generated code statically: no reflection, no boxing, no instance. Register it with
/// <see cref="SluiceConverterAttribute"/> on a member, on a row type or query class, on the model type itself, or on
/// the assembly; every parameter, column, scalar result, bulk-loader key, DataLoader key and composite-key member of
/// <typeparamref name="TModel"/> in that scope is then converted with it.
/// </summary>
/// <typeparam name="TModel">The type your code uses (e.g. <c>Money</c>).</typeparam>
/// <typeparam name="TProvider">
/// The type stored in the column: one the provider reads with a typed getter (<c>long</c>, <c>int</c>, <c>short</c>,
/// <c>byte</c>, <c>bool</c>, <c>double</c>, <c>float</c>, <c>decimal</c>, <c>string</c>, <c>Guid</c>, <c>DateTime</c>,
/// <c>DateTimeOffset</c>, <c>DateOnly</c>, <c>TimeOnly</c>, <c>TimeSpan</c> or <c>byte[]</c>).
/// </typeparam>
/// <example><code>
/// public sealed class MoneyConverter : ISluiceConverter&lt;Money, long&gt;
/// {
///     public static long ToProvider(Money value) =&gt; value.Cents;
///     public static Money FromProvider(long value) =&gt; new(value);
/// }
/// [assembly: SluiceConverter(typeof(MoneyConverter))]
/// </code></example>
public interface ISluiceConverter<TModel, TProvider>
{
    /// <summary>The value written to the database for <paramref name="value"/> (never called with null: NULL is written as NULL).</summary>
    /// <param name="value">The model value.</param>
    /// <returns>The provider value.</returns>
    static abstract TProvider ToProvider(TModel value);

    /// <summary>The model value read from <paramref name="value"/> (never called for NULL). Throw to reject a value; the error names the query and the column.</summary>
    /// <param name="value">The provider value read from the column.</param>
    /// <returns>The model value.</returns>
    static abstract TModel FromProvider(TProvider value);
}
