using MimeKit;
using Microsoft.Extensions.Options;
using ThrottleCluster.Api.Accounts;
using ThrottleCluster.Api.Email;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tokens;
using ThrottleCluster.Hosting;

namespace ThrottleCluster.Api.Hosting;

/// <summary>Shared by the option validators.</summary>
internal static class Validation
{
    internal static ValidateOptionsResult Result(List<string> failures) => failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
}

internal sealed class AccountsOptionsValidator : IValidateOptions<AccountsOptions>
{
    public ValidateOptionsResult Validate(string? name, AccountsOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.File) && string.IsNullOrWhiteSpace(options.LookupUrl))
            failures.Add("Accounts:File or Accounts:LookupUrl must be set (both are empty).");
        if (!string.IsNullOrWhiteSpace(options.LookupUrl))
        {
            var probe = options.LookupUrl.Replace(HttpAccountDirectory.LoginPlaceholder, "x", StringComparison.Ordinal);
            if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                failures.Add($"Accounts:LookupUrl must be an absolute http or https URL (was '{options.LookupUrl}').");
        }
        if (options.LookupTimeout < TimeSpan.FromMilliseconds(100) || options.LookupTimeout > TimeSpan.FromSeconds(30))
            failures.Add($"Accounts:LookupTimeout must be 00:00:00.1-00:00:30 (was {options.LookupTimeout}).");
        return Validation.Result(failures);
    }
}

internal sealed class ResetTokenOptionsValidator : IValidateOptions<ResetTokenOptions>
{
    public ValidateOptionsResult Validate(string? name, ResetTokenOptions options)
        => options.Lifetime < TimeSpan.FromMinutes(1) || options.Lifetime > TimeSpan.FromDays(1)
            ? ValidateOptionsResult.Fail($"Tokens:Lifetime must be 00:01:00-1.00:00:00 (was {options.Lifetime}).")
            : ValidateOptionsResult.Success;
}

internal sealed class EmailOptionsValidator(IHostEnvironment environment, IConfiguration configuration) : IValidateOptions<EmailOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        var failures = new List<string>();
        var template = options.ResetUrlTemplate;
        var placeholders = template is null ? 0 : (template.Length - template.Replace(EmailOptions.TokenPlaceholder, "", StringComparison.Ordinal).Length) / EmailOptions.TokenPlaceholder.Length;
        if (template is null || placeholders != 1 || !TextRules.IsPrintable(template) ||
            !Uri.TryCreate(template.Replace(EmailOptions.TokenPlaceholder, "x", StringComparison.Ordinal), UriKind.Absolute, out var link) ||
            link.Scheme is not ("http" or "https"))
            failures.Add($"Email:ResetUrlTemplate must be an absolute http or https URL containing {EmailOptions.TokenPlaceholder} once (was '{template}').");
        if (string.IsNullOrWhiteSpace(options.Subject) || options.Subject.Length > 200 || !TextRules.IsPrintable(options.Subject))
            failures.Add($"Email:Subject must be 1-200 printable characters (was '{options.Subject}').");

        var smtp = options.Smtp;
        if (string.IsNullOrWhiteSpace(smtp.Host) && string.IsNullOrWhiteSpace(options.PickupDirectory))
            failures.Add("Email:Smtp:Host (send through SMTP) or Email:PickupDirectory (write .eml files) must be set (both are empty).");
        if (!string.IsNullOrWhiteSpace(smtp.Host) && Uri.CheckHostName(smtp.Host) == UriHostNameType.Unknown)
            failures.Add($"Email:Smtp:Host must be a host name or address (was '{smtp.Host}').");
        if (smtp.Port is < 1 or > 65535)
            failures.Add($"Email:Smtp:Port must be 1-65535 (was {smtp.Port}).");
        MailboxAddress? from = null;
        if (string.IsNullOrWhiteSpace(smtp.From) || !TextRules.IsPrintable(smtp.From) || !MailboxAddress.TryParse(smtp.From, out from) || !from.Address.Contains('@'))
            failures.Add($"Email:Smtp:From must be an email address such as 'Example <no-reply@example.com>' (was '{smtp.From}').");
        // A deployment still setting the boolean would otherwise get StartTls whatever it said: StartTls=false must not quietly mean TLS required, nor true mean nothing.
        if (configuration["Email:Smtp:StartTls"] is { } startTls)
            failures.Add($"Email:Smtp:StartTls is not a setting: use Email:Smtp:Tls=StartTls, Implicit or None (was StartTls='{startTls}').");
        if (!Enum.IsDefined(smtp.Tls))
            failures.Add($"Email:Smtp:Tls must be StartTls, Implicit or None (was '{smtp.Tls}').");
        if (!string.IsNullOrEmpty(smtp.User) && string.IsNullOrEmpty(smtp.Password))
            failures.Add("Email:Smtp:Password must be set when Email:Smtp:User is (was empty).");
        if (!string.IsNullOrEmpty(smtp.User) && smtp.Tls == SmtpTls.None && !IsLoopback(smtp.Host))
            failures.Add($"Email:Smtp:Tls must be StartTls or Implicit when Email:Smtp:User is set, or the password crosses the network in clear (was None, host '{smtp.Host}').");
        if (smtp.Timeout < TimeSpan.FromSeconds(1) || smtp.Timeout > TimeSpan.FromMinutes(5))
            failures.Add($"Email:Smtp:Timeout must be 00:00:01-00:05:00 (was {smtp.Timeout}).");
        if (smtp.Connections is < 1 or > 32)
            failures.Add($"Email:Smtp:Connections must be 1-32 (was {smtp.Connections}).");
        if (!string.IsNullOrEmpty(smtp.TestOnlyTrustedCertificateThumbprint) && (smtp.TestOnlyTrustedCertificateThumbprint.Length != 40 || !smtp.TestOnlyTrustedCertificateThumbprint.All(Uri.IsHexDigit)))
            failures.Add($"Email:Smtp:TestOnlyTrustedCertificateThumbprint must be a SHA-1 thumbprint of 40 hex digits (was '{smtp.TestOnlyTrustedCertificateThumbprint}').");
        ValidateDkim(options.Dkim, from, failures);
        return Validation.Result(failures);
    }

    private void ValidateDkim(DkimOptions dkim, MailboxAddress? from, List<string> failures)
    {
        if (!dkim.IsConfigured) return;
        var before = failures.Count;
        if (string.IsNullOrWhiteSpace(dkim.PrivateKeyFile)) failures.Add("Email:Dkim:PrivateKeyFile must be set when Email:Dkim:Domain or Email:Dkim:Selector is (was empty).");
        if (string.IsNullOrWhiteSpace(dkim.Domain) || Uri.CheckHostName(dkim.Domain) != UriHostNameType.Dns || !dkim.Domain.Contains('.'))
            failures.Add($"Email:Dkim:Domain must be a domain name such as example.com (was '{dkim.Domain}').");
        else if (from is not null && !from.Domain.Equals(dkim.Domain, StringComparison.OrdinalIgnoreCase) && !from.Domain.EndsWith("." + dkim.Domain, StringComparison.OrdinalIgnoreCase))
            failures.Add($"Email:Dkim:Domain must be the domain of Email:Smtp:From or a parent of it, or receivers do not count the signature (was '{dkim.Domain}', From is in '{from.Domain}').");
        if (string.IsNullOrWhiteSpace(dkim.Selector) || Uri.CheckHostName(dkim.Selector) != UriHostNameType.Dns)
            failures.Add($"Email:Dkim:Selector must be a DNS label such as mail2026 (was '{dkim.Selector}').");
        if (failures.Count > before) return;
        try
        {
            ResetMessageBuilder.CreateSigner(dkim, environment);
        }
        catch (InvalidOperationException ex)
        {
            failures.Add(ex.Message);
        }
    }

    private static bool IsLoopback(string? host)
        => host is "localhost" || System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip);
}

internal sealed partial class OutboxOptionsValidator(IOptions<EmailOptions> email) : IValidateOptions<OutboxOptions>
{
    public ValidateOptionsResult Validate(string? name, OutboxOptions options)
    {
        var failures = new List<string>();
        if (options.MaxAttempts is < 1 or > 100) failures.Add($"Outbox:MaxAttempts must be 1-100 (was {options.MaxAttempts}).");
        if (options.RetryDelay < TimeSpan.FromMilliseconds(10) || options.RetryDelay > TimeSpan.FromHours(1))
            failures.Add($"Outbox:RetryDelay must be 00:00:00.01-01:00:00 (was {options.RetryDelay}).");
        if (options.MaxRetryDelay < options.RetryDelay || options.MaxRetryDelay > TimeSpan.FromDays(1))
            failures.Add($"Outbox:MaxRetryDelay must be at least Outbox:RetryDelay ({options.RetryDelay}) and at most 1.00:00:00 (was {options.MaxRetryDelay}).");
        var smtpTimeout = email.Value.Smtp.Timeout;
        if (options.VisibilityTimeout <= smtpTimeout || options.VisibilityTimeout > TimeSpan.FromDays(1))
            failures.Add($"Outbox:VisibilityTimeout must be longer than Email:Smtp:Timeout ({smtpTimeout}) and at most 1.00:00:00 (was {options.VisibilityTimeout}).");
        if (options.PollInterval < TimeSpan.FromMilliseconds(10) || options.PollInterval > TimeSpan.FromSeconds(10))
            failures.Add($"Outbox:PollInterval must be 00:00:00.01-00:00:10 (was {options.PollInterval}).");
        if (options.Concurrency is < 1 or > 64) failures.Add($"Outbox:Concurrency must be 1-64 (was {options.Concurrency}).");
        if (options.MaxDeadLetters is < 1 or > 10_000_000) failures.Add($"Outbox:MaxDeadLetters must be 1-10000000 (was {options.MaxDeadLetters}).");
        if (string.IsNullOrEmpty(options.KeyPrefix) || options.KeyPrefix.Length > 100 || options.KeyPrefix.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '{' or '}'))
            failures.Add($"Outbox:KeyPrefix must be 1-100 characters without white space or braces (was '{options.KeyPrefix}').");
        // Azure queue names: 3-63 lowercase letters, digits and single hyphens; the longest suffix added is "-processing".
        if (options.QueueName is not { Length: >= 3 and <= 52 } || !QueueNamePattern().IsMatch(options.QueueName))
            failures.Add($"Outbox:QueueName must be 3-52 lowercase letters, digits and single hyphens, starting and ending with a letter or digit (was '{options.QueueName}').");
        return Validation.Result(failures);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9](?:-?[a-z0-9]){2,51}$")]
    private static partial System.Text.RegularExpressions.Regex QueueNamePattern();
}
