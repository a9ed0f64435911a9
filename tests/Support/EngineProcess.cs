using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// One engine server process started for tests, with its own temporary directory. It is killed by
/// process id with its whole tree on dispose and when this process exits normally; a watchdog shell
/// around it kills it within a second of this process dying any other way.
/// </summary>
public sealed class EngineProcess : IDisposable
{
    private const int OutputLinesKept = 40;

    // The engine runs as a child of this shell, which kills it and removes its directory once the
    // test process is gone: a test host killed outright (hang timeout, SIGKILL, SIGTERM) runs no
    // exit hooks.
    private const string Watchdog = """
        parent=$1; directory=$2; shift 2
        "$@" & engine=$!
        while kill -0 "$parent" 2>/dev/null && kill -0 "$engine" 2>/dev/null; do sleep 1; done
        if kill -0 "$parent" 2>/dev/null; then wait "$engine"; exit; fi
        kill -9 "$engine" 2>/dev/null; wait "$engine"; rm -rf -- "$directory"
        """;

    private static readonly ConcurrentDictionary<EngineProcess, byte> Running = new();

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private int _disposed;

    static EngineProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var engine in Running.Keys) engine.Dispose();
    };

    private EngineProcess(string name, string workingDirectory, int port, Process process)
    {
        Name = name;
        WorkingDirectory = workingDirectory;
        Port = port;
        _process = process;
    }

    public string Name { get; }

    public string WorkingDirectory { get; }

    public int ProcessId => _process.Id;

    public int Port { get; }

    /// <summary>
    /// Starts <paramref name="fileName"/> on a free loopback port and waits until it answers PING
    /// (or <paramref name="isReady"/>, for a server that speaks something else); on failure nothing
    /// is left running.
    /// </summary>
    public static async Task<EngineProcess> StartAsync(
        string name,
        string fileName,
        Func<int, string, IEnumerable<string>> arguments,
        IReadOnlyDictionary<string, string> environment,
        TimeSpan startupTimeout,
        CancellationToken cancellationToken,
        Func<int, CancellationToken, Task<bool>>? isReady = null)
    {
        isReady ??= async (port, ct) => await RespClient.ExecuteOnceAsync(LoopbackPort.Host, port, ["PING"], ct) is "PONG";
        var port = LoopbackPort.Free();
        var workingDirectory = Directory.CreateTempSubdirectory($"throttlecluster-{name}-").FullName;
        var start = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-c", Watchdog, "engine-watchdog", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), workingDirectory, fileName, .. arguments(port, workingDirectory)])
            start.ArgumentList.Add(argument);
        foreach (var (variable, value) in environment) start.Environment[variable] = value;

        var process = new Process { StartInfo = start };
        var engine = new EngineProcess($"{name} on port {port}", workingDirectory, port, process);
        process.OutputDataReceived += (_, e) => engine.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => engine.Keep(e.Data);
        try
        {
            process.Start();
            Running[engine] = 0;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await engine.WaitUntilReadyAsync(ct => isReady(port, ct), startupTimeout, cancellationToken);
            return engine;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Polls <paramref name="isReady"/> until it answers true. Fails fast if the process exits, and
    /// after <paramref name="timeout"/> otherwise, with the end of the process's output either way.
    /// </summary>
    public async Task WaitUntilReadyAsync(Func<CancellationToken, Task<bool>> isReady, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        var lastCheck = "not checked yet";
        while (true)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // drains the output, so the failure shows its last lines
                throw Failure($"exited with code {_process.ExitCode} before it was ready");
            }
            if (waited.Elapsed > timeout) throw Failure($"was not ready within {timeout.TotalSeconds:0.#} s (last check: {lastCheck})");

            // A check that hangs (a half-started server) must not hold up the deadline.
            using var check = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            check.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                if (await isReady(check.Token)) return;
                lastCheck = "not ready";
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested
                && e is IOException or SocketException or OperationCanceledException or InvalidOperationException)
            {
                lastCheck = e.Message;
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The failure of this engine, told with the end of its output.</summary>
    public InvalidOperationException Failure(string what)
        => new($"{Name} (pid {ProcessId}, directory {WorkingDirectory}) {what}. Last output:{Environment.NewLine}{string.Join(Environment.NewLine, _output)}");

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        _process.Dispose();
        Running.TryRemove(this, out _);
        try
        {
            Directory.Delete(WorkingDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying process; the directory is under the system temp folder.
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        while (_output.Count > OutputLinesKept) _output.TryDequeue(out _);
    }
}
