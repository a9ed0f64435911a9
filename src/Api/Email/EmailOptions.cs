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
}

/// <summary>Configuration section <c>Email:Smtp</c>.</summary>
public sealed class SmtpOptions
{
    /// <summary><c>Email:Smtp:Host</c>: set it to send through SMTP.</summary>
    public string? Host { get; set; }

    /// <summary><c>Email:Smtp:Port</c> (default 587, submission).</summary>
    public int Port { get; set; } = 587;

    /// <summary><c>Email:Smtp:StartTls</c>: upgrade with STARTTLS and require it (default true). There is no implicit TLS (port 465).</summary>
    public bool StartTls { get; set; } = true;

    /// <summary><c>Email:Smtp:User</c>: AUTH user name; no AUTH when empty.</summary>
    public string? User { get; set; }

    /// <summary><c>Email:Smtp:Password</c>.</summary>
    public string? Password { get; set; }

    /// <summary><c>Email:Smtp:From</c>: the sender of reset emails (also for .eml files), e.g. <c>Example &lt;no-reply@example.com&gt;</c>.</summary>
    public string? From { get; set; }

    /// <summary><c>Email:Smtp:Timeout</c>: one send may take this long (default 30 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
