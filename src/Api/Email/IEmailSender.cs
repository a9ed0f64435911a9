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
