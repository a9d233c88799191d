using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace Sluice.Tests.Batches;

/// <summary>Starts <see cref="BatchChildProgram"/> in a real child process and reads its batch lines.</summary>
internal sealed class ChildRunner : IDisposable
{
    private readonly Process _process;

    private ChildRunner(Process process)
    {
        _process = process;
    }

    public int Batches { get; private set; }


    public static ChildRunner Start(params string[] arguments)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(BatchChildProgram).Assembly.Location);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new ChildRunner(Process.Start(start)!);
    }

    /// <summary>Reads the child's lines until it reported <paramref name="batches"/> committed batches.</summary>
    public async Task WaitForBatchesAsync(int batches)
    {
        string? line;
        while (Batches < batches && (line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))) is not null)
        {
            if (line.StartsWith("batch ", StringComparison.Ordinal))
            {
                Batches++;
            }
        }

        if (Batches < batches)
        {
            // Read only now: stderr ends when the child exits.
            Assert.Fail($"the child printed {Batches} batches before exiting; stderr: {await _process.StandardError.ReadToEndAsync()}");
        }
    }

    /// <summary>SIGKILL on Linux: no finally, no status write, the lease (and the session) left as they were.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
