using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;

namespace ThrottleCluster.Api.Email;

/// <summary>
/// Sends through an SMTP server with MailKit on a pool of reused connections
/// (<see cref="SmtpConnectionPool"/>): STARTTLS or implicit TLS with the certificate validated,
/// AUTH when <c>Email:Smtp:User</c> is set (a refused AUTH is an error, never a send without it),
/// the whole send bounded by <c>Email:Smtp:Timeout</c>.
/// </summary>
public sealed class SmtpEmailSender : IEmailSender, IAsyncDisposable
{
    private readonly SmtpOptions _smtp;
    private readonly ResetMessageBuilder _messages;
    private readonly SmtpConnectionPool _pool;

    public SmtpEmailSender(IOptions<EmailOptions> options, ResetMessageBuilder messages)
    {
        _smtp = options.Value.Smtp;
        _messages = messages;
        _pool = new SmtpConnectionPool(_smtp);
    }

    public string Destination
        => $"SMTP server {_smtp.Host}:{_smtp.Port} ({_smtp.Tls switch { SmtpTls.Implicit => "implicit TLS", SmtpTls.StartTls => "STARTTLS", _ => "no TLS" }}, "
            + $"{(string.IsNullOrEmpty(_smtp.User) ? "no AUTH" : $"AUTH as {_smtp.User}")}, {_smtp.Connections} connection(s)"
            + (_messages.Signing is { } signing ? $", {signing}" : "")
            + (string.IsNullOrEmpty(_smtp.TestOnlyTrustedCertificateThumbprint) ? "" : ", TEST ONLY: also trusts the certificate of Email:Smtp:TestOnlyTrustedCertificateThumbprint")
            + ")";

    public async Task SendAsync(OutgoingEmail email, CancellationToken ct)
    {
        var message = _messages.Build(email);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_smtp.Timeout);
        try
        {
            await _pool.SendAsync(message, deadline.Token).ConfigureAwait(false);
        }
        catch (SmtpCommandException ex) when (ex.ErrorCode == SmtpErrorCode.RecipientNotAccepted && (int)ex.StatusCode >= 500)
        {
            throw new PermanentEmailException($"The SMTP server refused the recipient ({(int)ex.StatusCode}).", ex);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"The SMTP server did not accept the email within {_smtp.Timeout.TotalSeconds:0.#} s.");
        }
    }

    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
