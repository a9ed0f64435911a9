using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>How <see cref="SmtpFaultServer"/> treats the next sessions; switched while it runs.</summary>
public enum SmtpFaultBehaviour
{
    /// <summary>Accepts every message at once.</summary>
    Accept,

    /// <summary>Says nothing more, on new connections and on those it already had (a hung server): no message can arrive.</summary>
    Silent,

    /// <summary>Stores the message when its data ends, then waits <see cref="SmtpFaultServer.Delay"/> before the 250 (a slow server whose reply comes too late).</summary>
    SlowReplyAfterData,

    /// <summary>Answers RCPT with 451 (try again later): nothing arrives, the sender retries.</summary>
    RefuseRecipientTemporarily,

    /// <summary>Answers RCPT with 550 (no such mailbox): nothing arrives, retrying cannot help.</summary>
    RefuseRecipientPermanently,
}

/// <summary>
/// A plain SMTP server (no TLS, no AUTH) on 127.0.0.1 whose behaviour a test switches while it runs:
/// accept, hang, reply late after storing the message, or refuse recipients. A message counts as
/// received when its data has fully arrived, before the reply, as a real server commits it; so a
/// sender that gives up waiting for the reply and retries produces a duplicate here, which the
/// tests measure. It can be stopped and started again on the same port.
/// </summary>
public sealed class SmtpFaultServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<string[]> _received = new();
    private readonly ConcurrentDictionary<TcpClient, bool> _sessions = new();
    private TcpListener? _listener;
    private CancellationTokenSource? _stop;
    private Task? _accepting;
    private volatile SmtpFaultBehaviour _behaviour;

    public SmtpFaultServer(int port) => Port = port;

    public int Port { get; }

    public SmtpFaultBehaviour Behaviour { get => _behaviour; set => _behaviour = value; }

    /// <summary>How long <see cref="SmtpFaultBehaviour.SlowReplyAfterData"/> waits before its 250.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Every message received, as its recipients, in arrival order.</summary>
    public IReadOnlyList<string[]> Received => _received.ToArray();

    /// <summary>Messages received per recipient address (lower case).</summary>
    public IReadOnlyDictionary<string, int> CountByRecipient()
        => Received.SelectMany(to => to).GroupBy(a => a.ToLowerInvariant()).ToDictionary(g => g.Key, g => g.Count());

    public static SmtpFaultServer Start(int port, SmtpFaultBehaviour behaviour = SmtpFaultBehaviour.Accept)
    {
        var sink = new SmtpFaultServer(port) { Behaviour = behaviour };
        sink.Start();
        return sink;
    }

    /// <summary>Listens on <see cref="Port"/> (again, after <see cref="Stop"/>).</summary>
    public void Start()
    {
        if (_listener is not null) throw new InvalidOperationException($"The SMTP sink already listens on {Port}.");
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _stop = new CancellationTokenSource();
        _accepting = AcceptAsync(_listener, _stop.Token);
    }

    /// <summary>Stops listening and cuts every open session: senders see connection refused from now on.</summary>
    public async Task StopAsync()
    {
        if (_listener is null) return;
        await _stop!.CancelAsync();
        _listener.Stop();
        foreach (var session in _sessions.Keys) session.Dispose();
        try
        {
            await _accepting!;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        _stop.Dispose();
        _listener = null;
    }

    public async Task<IReadOnlyDictionary<string, int>> WaitForRecipientsAsync(IEnumerable<string> recipients, TimeSpan timeout)
    {
        var wanted = recipients.Select(r => r.ToLowerInvariant()).ToList();
        var counts = CountByRecipient();
        try
        {
            await Eventually.HoldsAsync(() => wanted.All((counts = CountByRecipient()).ContainsKey), $"each of {wanted.Count} recipients gets a message", timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}: {wanted.Count(r => !counts.ContainsKey(r))} got nothing; received {Received.Count} messages.", e);
        }
        return counts;
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stop);
            _sessions[client] = true;
            _ = Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(client, stop);
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
                {
                    // The sender hung up (its timeout) or the sink stopped.
                }
                finally
                {
                    _sessions.TryRemove(client, out _);
                    client.Dispose();
                }
            }, CancellationToken.None);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stop)
    {
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        if (Behaviour == SmtpFaultBehaviour.Silent)
        {
            await HoldAsync(reader, stop);
            return;
        }
        await writer.WriteLineAsync("220 sink.test ESMTP");
        var recipients = new List<string>();
        while (await reader.ReadLineAsync(stop) is { } line)
        {
            // A server that hangs hangs for the connections it already had too (senders reuse them).
            if (Behaviour == SmtpFaultBehaviour.Silent)
            {
                await HoldAsync(reader, stop);
                return;
            }
            var verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO" or "HELO":
                    await writer.WriteLineAsync("250 sink.test");
                    break;
                case "MAIL":
                    recipients.Clear();
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "RCPT":
                    await writer.WriteLineAsync(Behaviour switch
                    {
                        SmtpFaultBehaviour.RefuseRecipientTemporarily => "451 4.3.0 try again later",
                        SmtpFaultBehaviour.RefuseRecipientPermanently => "550 5.1.1 no such mailbox",
                        _ => AddRecipient(recipients, line),
                    });
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                    while (await reader.ReadLineAsync(stop) is { } data && data != ".")
                    {
                    }
                    _received.Enqueue(recipients.ToArray());
                    if (Behaviour == SmtpFaultBehaviour.SlowReplyAfterData) await Task.Delay(Delay, stop);
                    await writer.WriteLineAsync("250 OK stored");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 bye");
                    return;
                default:
                    await writer.WriteLineAsync("250 OK");
                    break;
            }
        }
    }

    /// <summary>Holds the connection, answering nothing, until the sender gives up or the sink stops.</summary>
    private static async Task HoldAsync(StreamReader reader, CancellationToken stop)
    {
        while (await reader.ReadLineAsync(stop) is not null)
        {
        }
    }

    private static string AddRecipient(List<string> recipients, string line)
    {
        var start = line.IndexOf('<', StringComparison.Ordinal);
        var end = line.IndexOf('>', StringComparison.Ordinal);
        recipients.Add(start >= 0 && end > start ? line[(start + 1)..end] : line[8..].Trim());
        return "250 OK";
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
