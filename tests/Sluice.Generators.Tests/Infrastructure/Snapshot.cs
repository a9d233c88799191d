using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex.Renderer;
using Xunit;

namespace Sluice.Generators.Tests.Infrastructure;

/// <summary>The kind of snapshot file, which decides its extension.</summary>
public enum SnapshotKind
{
    /// <summary>Generated source: <c>*.verified.cs</c>.</summary>
    Source,

    /// <summary>Anything else (diagnostics, models): <c>*.verified.txt</c>.</summary>
    Text,
}

/// <summary>
/// Snapshot assertions with Verify's file conventions (Verify itself cannot be restored here).
/// <para>
/// <c>Snapshot.Match(actual, "Worker_Basic")</c> compares <paramref name="actual"/> with
/// <c>Snapshots/Worker_Basic.verified.cs</c> in the folder of the calling test's source file.
/// On a mismatch, or when the verified file does not exist yet, it writes
/// <c>Snapshots/Worker_Basic.received.cs</c> (git-ignored) and fails with a unified diff.
/// With <c>SLUICE_ACCEPT_SNAPSHOTS=1</c> it writes the verified file instead and passes;
/// review the change with <c>git diff</c> before committing it.
/// </para>
/// Line endings are normalized to <c>\n</c> and, when given, the generator version string is
/// replaced by <c>%VERSION%</c>, so snapshots do not churn on a version bump.
/// </summary>
public static class Snapshot
{
    /// <summary>The environment variable that turns mismatches into accepted snapshots.</summary>
    public const string AcceptVariable = "SLUICE_ACCEPT_SNAPSHOTS";

    /// <summary>What a version string is replaced with.</summary>
    public const string VersionPlaceholder = "%VERSION%";

    /// <summary>Whether <see cref="AcceptVariable"/> is set to a true value.</summary>
    public static bool AcceptRequested
    {
        get
        {
            var value = Environment.GetEnvironmentVariable(AcceptVariable);
            return value is not null
                && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));
        }
    }

    /// <summary>Asserts that <paramref name="actual"/> matches the verified snapshot <paramref name="name"/>.</summary>
    /// <param name="actual">The text produced by the test.</param>
    /// <param name="name">The snapshot name, unique within the test folder, e.g. <c>"Worker_Basic"</c>.</param>
    /// <param name="kind"><see cref="SnapshotKind.Source"/> for <c>.cs</c>, <see cref="SnapshotKind.Text"/> for <c>.txt</c>.</param>
    /// <param name="versionToNormalize">The generator's version string, replaced by <c>%VERSION%</c> when not null or empty.</param>
    /// <param name="sourceFilePath">Filled in by the compiler: the calling test's source file.</param>
    public static void Match(
        string actual,
        string name,
        SnapshotKind kind = SnapshotKind.Source,
        string? versionToNormalize = null,
        [CallerFilePath] string sourceFilePath = "")
    {
        var directory = Path.Combine(ResolveSourceDirectory(sourceFilePath), "Snapshots");
        var failure = Compare(actual, name, kind, versionToNormalize, directory, AcceptRequested);
        if (failure is not null)
        {
            Assert.Fail(failure);
        }
    }

    /// <summary>Brings text to its snapshot form: <c>\n</c> line endings and the version replaced.</summary>
    public static string Normalize(string text, string? versionToNormalize = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (!string.IsNullOrEmpty(versionToNormalize))
        {
            normalized = normalized.Replace(versionToNormalize, VersionPlaceholder, StringComparison.Ordinal);
        }

        return normalized;
    }

    /// <summary>
    /// The comparison behind <see cref="Match"/>, with the folder and accept mode explicit.
    /// Returns null when the snapshot matches (or was accepted), otherwise the failure message.
    /// </summary>
    public static string? Compare(
        string actual,
        string name,
        SnapshotKind kind,
        string? versionToNormalize,
        string snapshotDirectory,
        bool accept)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Snapshot name '{name}' is not a valid file name.", nameof(name));
        }

        var extension = kind == SnapshotKind.Source ? "cs" : "txt";
        var verifiedPath = Path.Combine(snapshotDirectory, $"{name}.verified.{extension}");
        var receivedPath = Path.Combine(snapshotDirectory, $"{name}.received.{extension}");

        var received = Normalize(actual, versionToNormalize);
        string? verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;

        if (verified is not null && string.Equals(verified, received, StringComparison.Ordinal))
        {
            DeleteIfExists(receivedPath);
            return null;
        }

        Directory.CreateDirectory(snapshotDirectory);
        if (accept)
        {
            WriteText(verifiedPath, received);
            DeleteIfExists(receivedPath);
            return null;
        }

        WriteText(receivedPath, received);

        var message = new StringBuilder();
        if (verified is null)
        {
            message.Append("Snapshot '").Append(name).Append("' has no verified file yet.\n");
            message.Append("  verified: ").Append(verifiedPath).Append(" (missing)\n");
            message.Append("  received: ").Append(receivedPath).Append('\n');
            message.Append("Review the received file, then rename it to .verified.").Append(extension)
                .Append(" or rerun with ").Append(AcceptVariable).Append("=1.\n");
            message.Append("Received:\n").Append(Truncate(received, 4000));
        }
        else
        {
            message.Append("Snapshot '").Append(name).Append("' does not match.\n");
            message.Append("  verified: ").Append(verifiedPath).Append('\n');
            message.Append("  received: ").Append(receivedPath).Append('\n');
            message.Append("Accept with ").Append(AcceptVariable).Append("=1 if the change is intended.\n");
            message.Append(Diff(verified, received, $"{name}.verified.{extension}", $"{name}.received.{extension}"));
        }

        return message.ToString();
    }

    /// <summary>A unified diff (3 lines of context) from <paramref name="expected"/> to <paramref name="actual"/>.</summary>
    public static string Diff(string expected, string actual, string expectedName = "verified", string actualName = "received")
    {
        var diff = UnidiffRenderer.GenerateUnidiff(
            expected,
            actual,
            expectedName,
            actualName,
            ignoreWhitespace: false,
            ignoreCase: false,
            contextLines: 3);

        // Invisible differences (a trailing newline, trailing blanks) are otherwise hard to spot.
        if (string.Equals(expected.TrimEnd(), actual.TrimEnd(), StringComparison.Ordinal))
        {
            diff += "\n(The texts differ only in trailing whitespace or final newlines.)";
        }

        return Truncate(diff, 12000);
    }

    private static string ResolveSourceDirectory(string sourceFilePath)
    {
        if (!string.IsNullOrEmpty(sourceFilePath) && File.Exists(sourceFilePath))
        {
            return Path.GetDirectoryName(sourceFilePath)!;
        }

        // Deterministic builds map source paths to "/_/..."; find the file under the project folder instead.
        var projectDirectory = typeof(Snapshot).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Sluice.Generators.Tests.ProjectDirectory")?.Value;
        if (projectDirectory is not null && !string.IsNullOrEmpty(sourceFilePath))
        {
            var fileName = Path.GetFileName(sourceFilePath.Replace('\\', '/'));
            var match = Directory.EnumerateFiles(projectDirectory, fileName, SearchOption.AllDirectories)
                .FirstOrDefault(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
            if (match is not null)
            {
                return Path.GetDirectoryName(match)!;
            }
        }

        throw new InvalidOperationException(
            $"Cannot locate the test source folder from caller path '{sourceFilePath}'. " +
            "Snapshot.Match must be called from a test source file inside tests/Sluice.Generators.Tests.");
    }

    private static void WriteText(string path, string text) =>
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    private static void DeleteIfExists(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    private static string Truncate(string text, int max) =>
        text.Length <= max ? text : string.Concat(text.AsSpan(0, max), $"\n... ({text.Length - max} more characters)");
}
