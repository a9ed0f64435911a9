using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// A server a test starts and may break: a program run as a process of its own on a fixed loopback
/// port, so that it can be killed with SIGKILL by process id and started again on the same port with
/// the same arguments and environment (<see cref="EngineProcess"/> is the simpler kind, started once
/// on a port of its own choosing). A watchdog shell kills it within a second if the test process
/// dies without disposing it (a killed test host runs no exit hooks).
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private const int OutputLinesKept = 60;

    private const string Watchdog = """
        parent=$1; child=$2
        while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
        kill -9 "$child" 2>/dev/null
        """;

    private readonly string _fileName;
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly Func<CancellationToken, Task<bool>> _isReady;
    private readonly Action<string>? _onLine;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;
    private Process? _watchdog;

    private ServiceProcess(string name, int port, string fileName, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string> environment, Func<CancellationToken, Task<bool>> isReady, Action<string>? onLine)
    {
        Name = name;
        Port = port;
        _fileName = fileName;
        _arguments = arguments;
        _environment = environment;
        _isReady = isReady;
        _onLine = onLine;
    }

    public string Name { get; }

    public int Port { get; }

    /// <summary>The environment it runs with, which a restart keeps.</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>The process id of the server itself (not of a shell around it).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException($"{Name} is not running.");

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string Output => string.Join(System.Environment.NewLine, _output);

    /// <summary>
    /// Starts the process and waits until <paramref name="isReady"/> answers true. Every line it
    /// writes (standard output and error) also goes to <paramref name="onLine"/>, when given.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(string name, int port, string fileName, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string> environment, Func<CancellationToken, Task<bool>> isReady, TimeSpan startupTimeout,
        Action<string>? onLine = null)
    {
        var service = new ServiceProcess(name, port, fileName, arguments, environment, isReady, onLine);
        try
        {
            await service.StartAsync(startupTimeout);
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL by process id: no goodbye, nothing flushed, connections cut by the kernel.</summary>
    public void Kill()
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} is not running.");
        try
        {
            if (!process.HasExited)
            {
                process.Kill(); // SIGKILL on Unix
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        Forget(process);
    }

    /// <summary>
    /// SIGTERM, as an orchestrator stops a process it drains, then waits for it to exit by itself;
    /// returns how long that took. A process still running after <paramref name="limit"/> is a failure.
    /// </summary>
    public async Task<TimeSpan> StopAsync(TimeSpan limit)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} is not running.");
        var stopping = Stopwatch.StartNew();
        if (Signals.Kill(process.Id, Signals.Terminate) != 0) throw Failure("could not be sent SIGTERM");
        using (var wait = new CancellationTokenSource(limit))
        {
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                throw Failure($"was still running {limit.TotalSeconds:0} s after SIGTERM");
            }
        }
        var took = stopping.Elapsed;
        Forget(process);
        return took;
    }

    private void Forget(Process exited)
    {
        exited.Dispose();
        _process = null;
        StopWatchdog();
    }

    /// <summary>Starts the process again after <see cref="Kill"/> or <see cref="StopAsync"/>: same port, arguments and environment.</summary>
    public Task RestartAsync(TimeSpan startupTimeout)
    {
        if (_process is not null) throw new InvalidOperationException($"{Name} is still running (pid {_process.Id}).");
        return StartAsync(startupTimeout);
    }

    private async Task StartAsync(TimeSpan startupTimeout)
    {
        var start = new ProcessStartInfo(_fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in _arguments) start.ArgumentList.Add(argument);
        foreach (var (variable, value) in _environment) start.Environment[variable] = value;
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Start();
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        StartWatchdog(process.Id);

        var waited = Stopwatch.StartNew();
        var lastCheck = "not checked yet";
        while (true)
        {
            if (process.HasExited)
            {
                process.WaitForExit();
                throw Failure($"exited with code {process.ExitCode} before it was ready");
            }
            if (waited.Elapsed > startupTimeout) throw Failure($"was not ready within {startupTimeout.TotalSeconds:0} s (last check: {lastCheck})");
            using var check = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                if (await _isReady(check.Token)) return;
                lastCheck = "not ready";
            }
            catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException or OperationCanceledException or InvalidOperationException)
            {
                lastCheck = e.Message;
            }
            await Task.Delay(100);
        }
    }

    public InvalidOperationException Failure(string what)
        => new($"{Name} on port {Port} (pid {_process?.Id}) {what}. Last output:{System.Environment.NewLine}{Output}");

    private void StartWatchdog(int child)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in (string[])["-c", Watchdog, "service-watchdog", System.Environment.ProcessId.ToString(CultureInfo.InvariantCulture), child.ToString(CultureInfo.InvariantCulture)])
            start.ArgumentList.Add(argument);
        _watchdog = Process.Start(start);
    }

    private void StopWatchdog()
    {
        // The watchdog notices its child is gone within a second and exits by itself; waiting
        // here only keeps the process table tidy.
        _watchdog?.WaitForExit(TimeSpan.FromSeconds(3));
        _watchdog?.Dispose();
        _watchdog = null;
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _onLine?.Invoke(line);
        _output.Enqueue(line);
        while (_output.Count > OutputLinesKept) _output.TryDequeue(out _);
    }

    public ValueTask DisposeAsync()
    {
        if (_process is not null) Kill();
        return ValueTask.CompletedTask;
    }
}

file static class Signals
{
    public const int Terminate = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);
}
