using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace Sluice.Internal;

/// <summary>
/// Who runs a batch, as an operating-system process: host name, boot id, pid namespace, pid and the process's start
/// time, written to the state row (<c>owner_process</c>) when a runner takes a batch. A runner on the same host (same
/// name, same boot, same pid namespace) can then tell that the owner whose lease is still live is gone — no process
/// with that pid, or one that started at another time (the pid was reused) — and take the batch over at once instead
/// of waiting for the lease to expire. Owners on other hosts, in other containers or from another boot are never
/// judged: for them the lease decides, as before.
/// </summary>
internal static class OwnerProcess
{
    private static readonly Lazy<Identity> s_current = new(ReadCurrent);

    /// <summary>This process's identity, as stored in the state row.</summary>
    public static string Current => s_current.Value.Text;

    /// <summary>
    /// True only when <paramref name="stored"/> names a process of this host, boot and pid namespace that no longer
    /// runs (its pid is free or belongs to a process started at another time). False when it runs, when it is this
    /// process, when it is of another host, and when anything cannot be read (the lease decides then).
    /// </summary>
    public static bool IsDeadOnThisHost(string? stored)
    {
        if (stored is null || Parse(stored) is not { } owner)
        {
            return false;
        }

        var current = s_current.Value;
        if (owner.Host != current.Host || owner.Boot != current.Boot || owner.PidNamespace != current.PidNamespace || owner.Boot.Length == 0)
        {
            return false;
        }

        if (owner.Pid == current.Pid)
        {
            return owner.Start != current.Start;
        }

        var start = StartOf(owner.Pid);
        return start is null || start != owner.Start;
    }

    private sealed record Identity(string Host, string Boot, string PidNamespace, int Pid, string Start)
    {
        public string Text => string.Join(';', $"host={Host}", $"boot={Boot}", $"pidns={PidNamespace}", $"pid={Pid.ToString(CultureInfo.InvariantCulture)}", $"start={Start}");
    }

    private static Identity ReadCurrent()
    {
        var pid = Environment.ProcessId;
        return new Identity(
            Environment.MachineName,
            ReadTrimmed("/proc/sys/kernel/random/boot_id") ?? "",
            ReadLink("/proc/self/ns/pid") ?? "",
            pid,
            StartOf(pid) ?? "");
    }

    private static Identity? Parse(string text)
    {
        string? host = null, boot = null, pidns = null, start = null;
        int? pid = null;
        foreach (var part in text.Split(';'))
        {
            var eq = part.IndexOf('=');
            if (eq < 0)
            {
                continue;
            }

            var value = part[(eq + 1)..];
            switch (part[..eq])
            {
                case "host": host = value; break;
                case "boot": boot = value; break;
                case "pidns": pidns = value; break;
                case "start": start = value; break;
                case "pid" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p): pid = p; break;
            }
        }

        return host is null || boot is null || pidns is null || start is null || pid is null ? null : new Identity(host, boot, pidns, pid.Value, start);
    }

    /// <summary>
    /// The start time of process <paramref name="pid"/>: on Linux field 22 of <c>/proc/pid/stat</c> (clock ticks since
    /// boot, exact); elsewhere the start time in whole seconds. Null when no such process runs.
    /// </summary>
    private static string? StartOf(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            var stat = ReadTrimmed($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            if (stat is null)
            {
                return null;
            }

            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 19 ? fields[19] : null;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string? ReadTrimmed(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
