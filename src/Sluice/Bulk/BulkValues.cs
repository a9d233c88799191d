using System;
using System.ComponentModel;

namespace Sluice;

/// <summary>Checks the generated bulk writers apply to a row's values before they are written.</summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BulkValues
{
    /// <summary>
    /// A member declared non-nullable holds null: refused rather than written as NULL. The exception names the column
    /// (its <see cref="ArgumentException.ParamName"/>), which the bulk writer reports with the row.
    /// </summary>
    public static T NotNull<T>(T? value, string column)
        where T : class =>
        value ?? throw new ArgumentNullException(column, $"Column '{column}' is declared non-nullable but the row's value is null.");
}
