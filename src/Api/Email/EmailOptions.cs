namespace ThrottleCluster.Api.Email;

/// <summary>
/// Configuration section <c>Email</c>. With <c>Email:Smtp:Host</c> set, mail goes to that SMTP
/// server; otherwise it is written as .eml files to <c>Email:PickupDirectory</c>.
/// </summary>
public sealed class EmailOptions
{
    public const string Section = "Email";
    public const string TokenPlaceholder = "{token}";

    /// <summary>
    /// <c>Email:ResetUrlTemplate</c>: the link in the email, <c>{token}</c> replaced by the token,
    /// e.g. <c>https://app.example.com/reset?token={token}</c>. Never taken from a request.
    /// </summary>
    public string? ResetUrlTemplate { get; set; }

    /// <summary><c>Email:PickupDirectory</c>: where .eml files go when no SMTP host is set; relative to the content root.</summary>
    public string? PickupDirectory { get; set; }

    /// <summary><c>Email:Subject</c>.</summary>
    public string Subject { get; set; } = "Reset your password";

    public SmtpOptions Smtp { get; set; } = new();

    public DkimOptions Dkim { get; set; } = new();
}

/// <summary>How the connection to the SMTP server is secured (<c>Email:Smtp:Tls</c>).</summary>
public enum SmtpTls
{
    /// <summary>Plain connect, then STARTTLS, required: a server that does not offer it is an error.</summary>
    StartTls,

    /// <summary>TLS from the first byte (SMTPS, port 465).</summary>
    Implicit,

    /// <summary>No TLS: only without credentials, or to a loopback relay.</summary>
    None,
}

/// <summary>Configuration section <c>Email:Smtp</c>.</summary>
public sealed class SmtpOptions
{
    /// <summary><c>Email:Smtp:Host</c>: set it to send through SMTP.</summary>
    public string? Host { get; set; }

    /// <summary><c>Email:Smtp:Port</c> (default 587, submission; 465 for <see cref="SmtpTls.Implicit"/>).</summary>
    public int Port { get; set; } = 587;

    /// <summary><c>Email:Smtp:Tls</c>: StartTls (default), Implicit or None.</summary>
    public SmtpTls Tls { get; set; } = SmtpTls.StartTls;

    /// <summary><c>Email:Smtp:User</c>: AUTH user name; no AUTH when empty. When set, nothing is ever sent without a successful AUTH.</summary>
    public string? User { get; set; }

    /// <summary><c>Email:Smtp:Password</c> (never logged).</summary>
    public string? Password { get; set; }

    /// <summary><c>Email:Smtp:From</c>: the sender of reset emails (also for .eml files), e.g. <c>Example &lt;no-reply@example.com&gt;</c>.</summary>
    public string? From { get; set; }

    /// <summary><c>Email:Smtp:Timeout</c>: one send, connecting and AUTH included, may take this long (default 30 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>Email:Smtp:Connections</c>: SMTP connections this process keeps open and reuses (default 2).</summary>
    public int Connections { get; set; } = 2;

    /// <summary>
    /// <c>Email:Smtp:TestOnlyTrustedCertificateThumbprint</c>: for tests against a server with a
    /// self-signed certificate: the SHA-1 thumbprint (hex) of the one certificate accepted besides
    /// those the system trusts. Certificate validation stays on for every other certificate; never
    /// set it in production.
    /// </summary>
    public string? TestOnlyTrustedCertificateThumbprint { get; set; }
}

/// <summary>Configuration section <c>Email:Dkim</c>: reset emails are DKIM-signed when all three are set.</summary>
public sealed class DkimOptions
{
    /// <summary><c>Email:Dkim:PrivateKeyFile</c>: the RSA private key, PEM; relative to the content root.</summary>
    public string? PrivateKeyFile { get; set; }

    /// <summary><c>Email:Dkim:Domain</c>: the signing domain (d=); the From address must be in it or below it.</summary>
    public string? Domain { get; set; }

    /// <summary><c>Email:Dkim:Selector</c>: the selector (s=); the public key is published at <c>{selector}._domainkey.{domain}</c>.</summary>
    public string? Selector { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(PrivateKeyFile) || !string.IsNullOrWhiteSpace(Domain) || !string.IsNullOrWhiteSpace(Selector);
}
