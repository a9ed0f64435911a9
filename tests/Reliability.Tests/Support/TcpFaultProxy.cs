using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// A TCP proxy on 127.0.0.1 between a client (a silo) and a server (Garnet) that a test can make
/// misbehave: <see cref="DropAll"/> cuts every open connection, <see cref="RefuseNew"/> closes new
/// ones as soon as they arrive, and <see cref="Delay"/> holds every chunk of data, both ways, that
/// long before passing it on, and <see cref="BlackHoleOpen"/> silently drops everything on the
/// connections open now, for good, as a stale NAT or firewall entry does: no reset, no close, the
/// peers just never hear back. Given a marker, it tells one kind of connection from the rest by what
/// its client sends (connections whose client has sent the marker are watched), and
/// <see cref="CutWatched"/> resets the watched ones and every new one as soon as it sends the marker,
/// while the others pass: one client of the server made unreachable, the rest not.
/// <see cref="Heal"/> ends the faults for new connections; black-holed ones stay dead. Bytes are
/// never altered.
/// </summary>
public sealed class TcpFaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly byte[] _marker;
    private volatile bool _refuse, _cutWatched;
    private long _delayTicks;
    private int _accepted, _cut;

    /// <param name="marker">What the client of a watched connection sends (ASCII), e.g. a key only one client uses; none when empty.</param>
    public TcpFaultProxy(IPEndPoint target, string marker = "")
    {
        _target = target;
        _marker = System.Text.Encoding.ASCII.GetBytes(marker);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Connections accepted and passed on so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Watched connections reset by <see cref="CutWatched"/> so far.</summary>
    public int Cut => Volatile.Read(ref _cut);

    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    public void RefuseNew() => _refuse = true;

    public void DropAll()
    {
        foreach (var connection in _connections.Keys) connection.Abort();
    }

    public void BlackHoleOpen()
    {
        foreach (var connection in _connections.Keys) connection.BlackHoled = true;
    }

    public void CutWatched()
    {
        if (_marker.Length == 0) throw new InvalidOperationException("This proxy watches no marker.");
        _cutWatched = true;
        foreach (var connection in _connections.Keys.Where(c => c.Watched)) CutOne(connection);
    }

    public void Heal()
    {
        _refuse = false;
        _cutWatched = false;
        Delay = TimeSpan.Zero;
    }

    private void CutOne(Connection connection)
    {
        Interlocked.Increment(ref _cut);
        connection.Abort();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            if (_refuse)
            {
                client.Close(0); // a reset, as a firewall rejecting would send
                continue;
            }
            _ = PassOnAsync(client);
        }
    }

    private async Task PassOnAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        var connection = new Connection(client, server);
        _connections[connection] = 0;
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
            Interlocked.Increment(ref _accepted);
            await Task.WhenAny(PumpAsync(connection, client, server, fromClient: true), PumpAsync(connection, server, client, fromClient: false));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            connection.Abort();
            _connections.TryRemove(connection, out _);
        }
    }

    private async Task PumpAsync(Connection connection, Socket from, Socket to, bool fromClient)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0) return;
                if (fromClient && _marker.Length > 0 && !connection.Watched) connection.Watch(buffer.AsSpan(0, read), _marker);
                if (connection.Watched && _cutWatched)
                {
                    CutOne(connection); // before the marked bytes reach the server
                    return;
                }
                if (Delay is { Ticks: > 0 } delay) await Task.Delay(delay, _stop.Token);
                if (connection.BlackHoled) continue;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        await _accepting;
        _stop.Dispose();
    }

    private sealed class Connection(Socket client, Socket server)
    {
        public volatile bool BlackHoled;
        private volatile bool _watched;
        // The end of the client's previous chunk, so a marker split across two chunks is still seen.
        private byte[] _tail = [];

        public bool Watched => _watched;

        public void Watch(ReadOnlySpan<byte> chunk, byte[] marker)
        {
            byte[] seen = [.. _tail, .. chunk];
            if (seen.AsSpan().IndexOf(marker) >= 0) _watched = true;
            _tail = seen[Math.Max(0, seen.Length - (marker.Length - 1))..];
        }

        public void Abort()
        {
            // Linger 0: the peers see a reset, as when a network path dies, not a polite close.
            client.Close(0);
            server.Close(0);
        }
    }
}
