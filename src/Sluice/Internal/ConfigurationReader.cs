using System;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Sluice.Internal;

/// <summary>
/// Reads Sluice's option values from a configuration section key by key (no reflection: trim- and NativeAOT-safe).
/// A key that is absent keeps the current value; a value that does not parse throws, naming the full key path.
/// </summary>
internal static class ConfigurationReader
{
    public static int Int(IConfiguration section, string key, int current, string owner)
    {
        var text = section[key];
        if (text is null)
        {
            return current;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Invalid(section, key, text, "a whole number", owner);
    }

    public static TimeSpan TimeSpan(IConfiguration section, string key, TimeSpan current, string owner)
    {
        var text = section[key];
        if (text is null)
        {
            return current;
        }

        return System.TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Invalid(section, key, text, "a time span ([d.]hh:mm:ss[.fff])", owner);
    }

    public static bool Bool(IConfiguration section, string key, bool current, string owner)
    {
        var text = section[key];
        if (text is null)
        {
            return current;
        }

        return bool.TryParse(text, out var value) ? value : throw Invalid(section, key, text, "true or false", owner);
    }

    public static string? String(IConfiguration section, string key, string? current) => section[key] ?? current;

    private static InvalidOperationException Invalid(IConfiguration section, string key, string text, string expected, string owner) =>
        new($"{owner}: configuration key '{Path(section, key)}' is '{text}', which is not {expected}.");

    private static string Path(IConfiguration section, string key) =>
        section is IConfigurationSection { Path.Length: > 0 } s ? s.Path + ":" + key : key;
}
