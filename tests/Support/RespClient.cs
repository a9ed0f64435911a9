using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// A minimal RESP connection for administrative commands (CLUSTER ..., MEMORY USAGE, DBSIZE,
/// FLUSHALL) to one engine node: StackExchange.Redis 1.x has no way to send an arbitrary command.
/// One command at a time. Replies come back as <see cref="string"/> (status and bulk strings, read
/// as UTF-8), <see cref="long"/>, <see langword="null"/>, or <c>object?[]</c> of those; an error reply
/// throws <see cref="InvalidOperationException"/>.
/// </summary>
public sealed class RespClient : IDisposable, IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly BufferedStream _stream;

    private RespClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = new BufferedStream(tcp.GetStream());
    }

    public static async Task<RespClient> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, cancellationToken);
            return new RespClient(tcp);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Connects, runs one command and disconnects.</summary>
    public static async Task<object?> ExecuteOnceAsync(string host, int port, IReadOnlyList<string> command, CancellationToken cancellationToken = default)
    {
        await using var client = await ConnectAsync(host, port, cancellationToken);
        return await client.ExecuteAsync(command, cancellationToken);
    }

    public Task<object?> ExecuteAsync(params string[] command) => ExecuteAsync(command, CancellationToken.None);

    public async Task<object?> ExecuteAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var request = new StringBuilder().Append('*').Append(command.Count).Append("\r\n");
        foreach (var part in command)
            request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken);
        await _stream.FlushAsync(cancellationToken);
        return await ReadReplyAsync(string.Join(' ', command.Take(2)), cancellationToken);
    }

    private async Task<object?> ReadReplyAsync(string command, CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken);
        if (line.Length == 0) throw new IOException($"{command}: empty reply line.");
        var body = line[1..];
        switch (line[0])
        {
            case '+':
                return body;
            case '-':
                throw new InvalidOperationException($"{command}: {body}");
            case ':':
                return long.Parse(body, CultureInfo.InvariantCulture);
            case '$':
                var length = int.Parse(body, CultureInfo.InvariantCulture);
                if (length < 0) return null;
                var bytes = new byte[length + 2];
                await _stream.ReadExactlyAsync(bytes, cancellationToken);
                return Encoding.UTF8.GetString(bytes, 0, length);
            case '*':
                var count = int.Parse(body, CultureInfo.InvariantCulture);
                if (count < 0) return null;
                var items = new object?[count];
                for (var i = 0; i < count; i++) items[i] = await ReadReplyAsync(command, cancellationToken);
                return items;
            default:
                throw new IOException($"{command}: unexpected reply line '{line}'.");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await _stream.ReadAsync(one, cancellationToken) == 0) throw new IOException("The engine closed the connection.");
            if (one[0] == '\n' && line.Count > 0 && line[^1] == '\r') return Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(line)[..^1]);
            line.Add(one[0]);
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
