using System.Net;
using System.Net.Mail;
using System.Text;
using Microsoft.Extensions.Options;
using ThrottleCluster.Api.Accounts;
using ThrottleCluster.Api.Tokens;

namespace ThrottleCluster.Api.Email;

/// <summary>A composed reset email. <see cref="To"/> is a checked plain address; nothing from a request reaches the headers.</summary>
public sealed record OutgoingEmail(string To, string Subject, string TextBody);

public interface IEmailSender
{
    /// <summary>Where mail goes, for the start-up message (no secrets).</summary>
    string Destination { get; }

    /// <exception cref="PermanentEmailException">Retrying cannot help (e.g. the recipient address is unusable).</exception>
    Task SendAsync(OutgoingEmail email, CancellationToken ct);
}

/// <summary>A send that must not be retried.</summary>
public sealed class PermanentEmailException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Builds the reset email from configuration only: the link comes from <c>Email:ResetUrlTemplate</c>.</summary>
public sealed class ResetEmailComposer(IOptions<EmailOptions> options, IOptions<ResetTokenOptions> tokens)
{
    private readonly EmailOptions _options = options.Value;

    public string Link(string token)
        => _options.ResetUrlTemplate!.Replace(EmailOptions.TokenPlaceholder, Uri.EscapeDataString(token), StringComparison.Ordinal);

    public OutgoingEmail Compose(string to, IssuedToken token)
    {
        if (AccountRules.CheckEmail(to) is { } problem) throw new PermanentEmailException($"Cannot send to the account's address: {problem}.");
        var minutes = Math.Max(1, (int)Math.Round(tokens.Value.Lifetime.TotalMinutes));
        var body = new StringBuilder()
            .Append("Someone asked to reset the password of the account registered with this address.\r\n\r\n")
            .Append($"To choose a new password, open this link within {minutes} minutes. It works once:\r\n\r\n")
            .Append(Link(token.Token)).Append("\r\n\r\n")
            .Append("If you did not ask for this, ignore this email: your password stays as it is.\r\n")
            .ToString();
        return new OutgoingEmail(to, _options.Subject, body);
    }
}

/// <summary>Shared by both senders: one <see cref="MailMessage"/> built the same way.</summary>
internal static class MailMessages
{
    public static MailMessage Create(string from, OutgoingEmail email)
    {
        if (AccountRules.CheckEmail(email.To) is { } problem) throw new PermanentEmailException($"Cannot send to the account's address: {problem}.");
        var message = new MailMessage(new MailAddress(from), new MailAddress(email.To))
        {
            Subject = email.Subject,
            SubjectEncoding = Encoding.UTF8,
            Body = email.TextBody,
            BodyEncoding = Encoding.UTF8,
            IsBodyHtml = false,
        };
        message.Headers.Add("Auto-Submitted", "auto-generated");
        return message;
    }
}

/// <summary>Sends through an SMTP server with <see cref="SmtpClient"/> (STARTTLS via EnableSsl, AUTH LOGIN/PLAIN when a user is set).</summary>
public sealed class SmtpEmailSender(IOptions<EmailOptions> options) : IEmailSender
{
    private readonly SmtpOptions _smtp = options.Value.Smtp;

    public string Destination => $"SMTP server {_smtp.Host}:{_smtp.Port} ({(_smtp.StartTls ? "STARTTLS" : "no TLS")}, {(string.IsNullOrEmpty(_smtp.User) ? "no AUTH" : $"AUTH as {_smtp.User}")})";

    public async Task SendAsync(OutgoingEmail email, CancellationToken ct)
    {
        using var message = MailMessages.Create(_smtp.From!, email);
        // One client per email: SmtpClient is not safe for concurrent sends.
        using var client = new SmtpClient(_smtp.Host, _smtp.Port)
        {
            DeliveryMethod = SmtpDeliveryMethod.Network,
            EnableSsl = _smtp.StartTls,
            Timeout = (int)_smtp.Timeout.TotalMilliseconds,
            UseDefaultCredentials = false,
        };
        if (!string.IsNullOrEmpty(_smtp.User)) client.Credentials = new NetworkCredential(_smtp.User, _smtp.Password);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_smtp.Timeout);
        try
        {
            await client.SendMailAsync(message, deadline.Token).ConfigureAwait(false);
        }
        catch (SmtpFailedRecipientException ex) when (ex.StatusCode is SmtpStatusCode.MailboxUnavailable or SmtpStatusCode.MailboxNameNotAllowed or SmtpStatusCode.UserNotLocalTryAlternatePath)
        {
            throw new PermanentEmailException($"The SMTP server refused the recipient ({(int)ex.StatusCode}).", ex);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"The SMTP server did not accept the email within {_smtp.Timeout.TotalSeconds:0.#} s.");
        }
    }
}

/// <summary>Writes each email as an .eml file to <c>Email:PickupDirectory</c> (SmtpDeliveryMethod.SpecifiedPickupDirectory).</summary>
public sealed class PickupDirectoryEmailSender : IEmailSender
{
    private readonly string _from;

    public PickupDirectoryEmailSender(IOptions<EmailOptions> options, IHostEnvironment environment)
    {
        _from = options.Value.Smtp.From!;
        Directory = Path.GetFullPath(options.Value.PickupDirectory!, environment.ContentRootPath);
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The absolute directory the .eml files go to.</summary>
    public string Directory { get; }

    public string Destination => $".eml files in {Directory}";

    public async Task SendAsync(OutgoingEmail email, CancellationToken ct)
    {
        using var message = MailMessages.Create(_from, email);
        // SmtpClient writes the file in place; written into a directory of its own first and then
        // moved, a file in the pickup directory is always complete.
        var staging = System.IO.Directory.CreateDirectory(Path.Combine(Directory, ".incoming", Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            using (var client = new SmtpClient { DeliveryMethod = SmtpDeliveryMethod.SpecifiedPickupDirectory, PickupDirectoryLocation = staging })
            {
                await client.SendMailAsync(message, ct).ConfigureAwait(false);
            }
            foreach (var file in System.IO.Directory.GetFiles(staging))
                File.Move(file, Path.Combine(Directory, Path.GetFileName(file)));
        }
        finally
        {
            System.IO.Directory.Delete(staging, recursive: true);
        }
    }
}
