using System.Net.Sockets;
using System.Text.RegularExpressions;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// A real SMTP server that accepts every message and keeps nothing but who it was for: Debian's
/// aiosmtpd (<c>/usr/bin/python3 -m aiosmtpd -n</c>, plain SMTP, no AUTH) on 127.0.0.1, whose
/// debugging handler prints each message's headers. A server of its own, outside the test process
/// and written by others, so an email counts only when an independent implementation accepted it;
/// the faults an SMTP server can have are <see cref="SmtpFaultServer"/>'s business.
/// </summary>
public sealed partial class SmtpSink : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";
    private const string MessageStart = "---------- MESSAGE FOLLOWS ----------";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _perRecipient = new(StringComparer.OrdinalIgnoreCase);
    private ServiceProcess? _process;
    private bool _inHeaders;
    private int _total;

    public int Port => _process!.Port;

    /// <summary>Messages received so far.</summary>
    public int Total
    {
        get { lock (_lock) return _total; }
    }

    /// <summary>Messages received so far, by recipient address (lower case).</summary>
    public IReadOnlyDictionary<string, int> PerRecipient()
    {
        lock (_lock) return new Dictionary<string, int>(_perRecipient, StringComparer.OrdinalIgnoreCase);
    }

    public static async Task<SmtpSink> StartAsync()
    {
        if (!File.Exists(Python)) throw new InvalidOperationException($"{Python} is missing: scripts/test.sh installs Debian's python3-aiosmtpd.");
        var sink = new SmtpSink();
        var port = LoopbackPort.Free();
        sink._process = await ServiceProcess.StartAsync(
            "aiosmtpd", port, Python,
            // -u: unbuffered, so each message is printed (and counted) as it is accepted.
            ["-u", "-m", "aiosmtpd", "-n", "-l", $"{LoopbackPort.Host}:{port}"],
            new Dictionary<string, string>(),
            ct => GreetsAsync(port, ct),
            TimeSpan.FromSeconds(30),
            sink.OnLine);
        return sink;
    }

    private void OnLine(string line)
    {
        lock (_lock)
        {
            if (line == MessageStart)
            {
                _inHeaders = true;
                _total++;
                return;
            }
            if (!_inHeaders) return;
            if (line.Length == 0)
            {
                _inHeaders = false;
                return;
            }
            if (!line.StartsWith("To:", StringComparison.OrdinalIgnoreCase)) return;
            foreach (Match address in Address().Matches(line[3..]))
            {
                var recipient = address.Value.ToLowerInvariant();
                _perRecipient[recipient] = _perRecipient.GetValueOrDefault(recipient) + 1;
            }
        }
    }

    private static async Task<bool> GreetsAsync(int port, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(LoopbackPort.Host, port, ct);
        using var reader = new StreamReader(tcp.GetStream());
        return (await reader.ReadLineAsync(ct))?.StartsWith("220", StringComparison.Ordinal) == true;
    }

    [GeneratedRegex(@"[^\s<>,""]+@[^\s<>,""]+")]
    private static partial Regex Address();

    public ValueTask DisposeAsync() => _process?.DisposeAsync() ?? ValueTask.CompletedTask;
}
