using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace ThrottleCluster.Api.Email;

/// <summary>
/// At most <c>Email:Smtp:Connections</c> SMTP connections, each connected, secured and
/// authenticated once and then reused for email after email. A connection that fails is closed and
/// replaced; a reused one found dropped (the server closed it while idle) is replaced and the email
/// sent again on the new connection. With credentials configured, no email is sent on a connection
/// that has not authenticated.
/// </summary>
internal sealed class SmtpConnectionPool(SmtpOptions options) : IAsyncDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Connections, options.Connections);
    private readonly ConcurrentBag<SmtpClient> _idle = [];
    private bool _disposed;

    private bool Authenticates => !string.IsNullOrEmpty(options.User);

    /// <summary>Sends on a pooled connection within <paramref name="ct"/>; the caller bounds the time.</summary>
    public async Task SendAsync(MimeMessage message, CancellationToken ct)
    {
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_idle.TryTake(out var reused))
            {
                try
                {
                    await SendOnAsync(reused, message, ct).ConfigureAwait(false);
                    Return(reused);
                    return;
                }
                catch (Exception ex) when (IsDropped(ex) && !ct.IsCancellationRequested)
                {
                    // Most likely closed by the server while idle. Should it have taken the email before the
                    // drop, sending again is a duplicate, which at-least-once delivery allows.
                    await CloseAsync(reused).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    await SettleAsync(reused, ex).ConfigureAwait(false);
                    throw;
                }
            }
            var client = new SmtpClient();
            try
            {
                await ConnectAsync(client, ct).ConfigureAwait(false);
                await SendOnAsync(client, message, ct).ConfigureAwait(false);
                Return(client);
            }
            catch (Exception ex)
            {
                await SettleAsync(client, ex).ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task SendOnAsync(SmtpClient client, MimeMessage message, CancellationToken ct)
    {
        // MailKit sends on a connection that never authenticated as readily as on one that did.
        if (Authenticates && !client.IsAuthenticated)
            throw new AuthenticationException("The SMTP connection is not authenticated; nothing is sent unauthenticated while Email:Smtp:User is set.");
        await client.SendAsync(message, ct).ConfigureAwait(false);
    }

    private async Task ConnectAsync(SmtpClient client, CancellationToken ct)
    {
        client.Timeout = (int)options.Timeout.TotalMilliseconds;
        if (options.TestOnlyTrustedCertificateThumbprint is { Length: > 0 } pinned)
        {
            client.ServerCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None || certificate is not null && string.Equals(certificate.GetCertHashString(), pinned, StringComparison.OrdinalIgnoreCase);
        }
        var security = options.Tls switch
        {
            SmtpTls.Implicit => SecureSocketOptions.SslOnConnect,
            SmtpTls.StartTls => SecureSocketOptions.StartTls,
            _ => SecureSocketOptions.None,
        };
        await client.ConnectAsync(options.Host!, options.Port, security, ct).ConfigureAwait(false);
        if (!Authenticates) return;
        if (!client.Capabilities.HasFlag(SmtpCapabilities.Authentication))
            throw new AuthenticationException($"The SMTP server {options.Host}:{options.Port} does not offer AUTH; nothing is sent unauthenticated while Email:Smtp:User is set.");
        await client.AuthenticateAsync(options.User!, options.Password!, ct).ConfigureAwait(false);
    }

    /// <summary>A refused command leaves the connection usable; anything else may have left it mid-dialogue.</summary>
    private async Task SettleAsync(SmtpClient client, Exception failure)
    {
        if (failure is SmtpCommandException { StatusCode: not SmtpStatusCode.ServiceNotAvailable } && client.IsConnected && (!Authenticates || client.IsAuthenticated))
            Return(client);
        else
            await CloseAsync(client).ConfigureAwait(false);
    }

    private static bool IsDropped(Exception ex)
        => ex is ServiceNotConnectedException or IOException or SocketException or SmtpProtocolException
            || ex is SmtpCommandException { StatusCode: SmtpStatusCode.ServiceNotAvailable };

    private void Return(SmtpClient client)
    {
        if (Volatile.Read(ref _disposed)) client.Dispose();
        else _idle.Add(client);
    }

    private static async Task CloseAsync(SmtpClient client)
    {
        try
        {
            if (client.IsConnected) await client.DisconnectAsync(true, new CancellationTokenSource(TimeSpan.FromSeconds(2)).Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or MailKit.ProtocolException or ServiceNotConnectedException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, true);
        while (_idle.TryTake(out var client)) await CloseAsync(client).ConfigureAwait(false);
    }
}
