using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// What a fault under reset traffic is judged by: the emails that reached the SMTP server against
/// the Api's Send decisions, its outbox, each account's policy, the global budget and the sends each
/// account grain persisted in the engine. Taken once every queued email has been sent and received, so the counts
/// are final.
/// </summary>
public sealed record EmailAccounting(
    double Sends,
    double Enqueued,
    double EnqueueFailed,
    double Sent,
    int Received,
    IReadOnlyList<EmailAccounting.Account> Accounts)
{
    public sealed record Account(string Email, int Received, int Persisted);

    /// <summary>
    /// Waits until every email the Api of each of <paramref name="clusters"/> (one, or several over one
    /// store mailing one SMTP server) queued was sent and received, then takes the counts: the Apis'
    /// summed, the SMTP server's, and the ledger of the store they share.
    /// </summary>
    public static async Task<EmailAccounting> WhenSettledAsync(SmtpSink smtp, int accounts, params ProductCluster[] clusters)
    {
        var apis = clusters.Select(c => new SiloClient(c.ApiAddress, CappedAccounts.ClientTimeout)).ToList();
        var pages = new List<PrometheusText>();
        double Total(string series) => pages.Sum(p => p.Value(series));
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                pages = [.. await Task.WhenAll(apis.Select(async a => new PrometheusText(await a.MetricsAsync())))];
                return pages.All(p => p.Value("tc_outbox_sent_total") >= p.Value("tc_outbox_enqueued_total")) && smtp.Total >= Total("tc_outbox_sent_total");
            }, "every queued email sent and received", TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e)
        {
            throw clusters[0].Api!.Failure($"(or another Api) had not sent every queued email ({e.Message}; last seen: {Total("tc_outbox_enqueued_total")} queued, " +
                                           $"{Total("tc_outbox_sent_total")} sent, {smtp.Total} received)");
        }
        finally
        {
            foreach (var api in apis) api.Dispose();
        }

        await using var ledger = await AccountLedger.ConnectAsync(clusters[0]);
        var perAccount = smtp.PerRecipient();
        var rows = new List<Account>();
        for (var i = 0; i < accounts; i++)
        {
            var email = ProductCluster.Email(i);
            rows.Add(new Account(email, perAccount.GetValueOrDefault(email), await ledger.SendsAsync(email)));
        }
        return new EmailAccounting(
            Total("tc_api_decisions_total{verdict=\"Send\"}"),
            Total("tc_outbox_enqueued_total"),
            Total("tc_outbox_enqueue_failed_total"),
            Total("tc_outbox_sent_total"),
            smtp.Total,
            rows);
    }

    /// <summary>Sends persisted by an account grain with no email behind them: only a request answered 503 can leave one.</summary>
    public int PersistedWithoutEmail => Accounts.Sum(a => a.Persisted - a.Received);

    /// <summary>
    /// Every Send decision is one email, to one of the accounts, within <paramref name="perAccount"/>
    /// and backed by a send its grain persisted; persisted sends without an email at most
    /// <paramref name="unavailable"/>, the requests answered 503.
    /// </summary>
    public void AssertExact(int perAccount, int unavailable)
    {
        Assert.True(Received > 0, "No email reached the SMTP server: the run tested nothing.");
        Assert.Equal(Sends, Enqueued);
        Assert.Equal(0, EnqueueFailed);
        Assert.Equal(Sends, Received);
        Assert.Equal(Received, Accounts.Sum(a => a.Received));
        Assert.All(Accounts, a => Assert.True(a.Received <= perAccount, $"{a.Email} got {a.Received} emails; the policy allows {perAccount}."));
        Assert.All(Accounts, a => Assert.True(a.Received <= a.Persisted, $"{a.Email} got {a.Received} emails but its grain persisted only {a.Persisted} sends."));
        Assert.InRange(PersistedWithoutEmail, 0, unavailable);
    }

    /// <summary>No more emails than the global budget lets out over <paramref name="window"/>, the time the traffic ran (<see cref="CappedAccounts.GlobalBudgetOver"/>).</summary>
    public void AssertWithinGlobalBudget(TimeSpan window)
        => Assert.True(Received <= CappedAccounts.GlobalBudgetOver(window),
            $"{Received} emails in {window.TotalSeconds:0.0} s; the global budget allows {CappedAccounts.GlobalBudgetOver(window)}.");

    /// <summary>Accounts that got as many emails as their policy allows.</summary>
    public int AtCap(int perAccount) => Accounts.Count(a => a.Received == perAccount);

    public override string ToString()
        => $"{Sends} Send decisions, {Enqueued} queued ({EnqueueFailed} could not be), {Sent} sent, {Received} received for {Accounts.Count} accounts " +
           $"(max per account {Accounts.Max(a => a.Received)}); {Accounts.Sum(a => a.Persisted)} sends persisted ({PersistedWithoutEmail} without an email)";
}
