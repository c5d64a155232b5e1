using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ScriptExec.Page.Tests;

/// <summary>The page's files as the daemon serves them, and the browser login on /rpc, over plain HTTP and WebSocket.</summary>
[TestFixture]
public sealed class ManagementPageHttpTests
{
    private DaemonUnderTest _daemon = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _daemon = await DaemonUnderTest.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_daemon.Port}") };
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http.Dispose();
        await _daemon.DisposeAsync();
    }

    private string OwnOrigin => $"http://127.0.0.1:{_daemon.Port}";

    [TestCase("/", "text/html; charset=utf-8")]
    [TestCase("/index.html", "text/html; charset=utf-8")]
    [TestCase("/app.js", "text/javascript; charset=utf-8")]
    [TestCase("/rpc.js", "text/javascript; charset=utf-8")]
    [TestCase("/app.css", "text/css; charset=utf-8")]
    public async Task Page_files_are_served_with_their_type_an_ETag_and_a_strict_policy(string path, string type)
    {
        using var response = await _http.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.ToString(), Is.EqualTo(type));
        Assert.That(response.Headers.ETag?.IsWeak, Is.False, "a strong ETag");
        Assert.That(response.Headers.CacheControl?.NoCache, Is.True, "revalidated on every load");
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.That(policy, Does.Contain("default-src 'none'").And.Contain("script-src 'self'").And.Contain("connect-src 'self'")
            .And.Contain("frame-ancestors 'none'").And.Not.Contain("unsafe-inline"));
        Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
        Assert.That((await response.Content.ReadAsByteArrayAsync()).Length, Is.GreaterThan(100));
    }

    [Test]
    public async Task A_matching_If_None_Match_is_answered_304_without_a_body()
    {
        using var first = await _http.GetAsync("/app.js");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/app.js");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);

        using var second = await _http.SendAsync(request);

        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
        Assert.That(await second.Content.ReadAsByteArrayAsync(), Is.Empty);
    }

    [Test]
    public async Task Head_answers_the_headers_and_other_paths_stay_404()
    {
        using var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"));
        using var missing = await _http.GetAsync("/nope.js");
        using var post = await _http.PostAsync("/", new StringContent("x"));

        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(head.Content.Headers.ContentLength, Is.GreaterThan(100));
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
    }

    [Test]
    public async Task The_switch_off_leaves_only_rpc()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(null, "--config", WriteConfig("""{ "management_page": false }"""));
        using var http = new HttpClient();

        using var page = await http.GetAsync($"http://127.0.0.1:{daemon.Port}/");
        using var rpc = await http.GetAsync($"http://127.0.0.1:{daemon.Port}/rpc");

        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(rpc.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "/rpc is still there");
    }

    [Test]
    public async Task A_browser_of_the_own_origin_connects_without_a_token_and_can_do_nothing_until_it_authenticates()
    {
        await using var client = await RpcClient.ConnectWebSocketAsync(_daemon.WebSocketUri, o => o.SetRequestHeader("Origin", OwnOrigin));

        var before = await client.CallErrorAsync("status");
        var wrong = await client.CallErrorAsync("authenticate", new { token = "not-the-token-at-all" });
        var login = await client.CallAsync("authenticate", new { token = _daemon.Token });
        var status = await client.CallAsync("status");

        Assert.That((int)before["code"]!, Is.EqualTo(1004));
        Assert.That((string)before["message"]!, Does.Contain("status needs the viewer role"));
        Assert.That((int)wrong["code"]!, Is.EqualTo(1004));
        Assert.That((string)wrong["message"]!, Is.EqualTo("authenticate: the token is not valid (unknown, or its run has ended)"));
        Assert.That((string)login["user"]!, Is.EqualTo("admin"));
        Assert.That((string)login["role"]!, Is.EqualTo("admin"));
        Assert.That(login.AsObject().ContainsKey("execution_id"), Is.False, "a configured token is no run");
        Assert.That((int)status["clients"]!["websocket"]!, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task A_browser_connection_that_has_not_authenticated_after_30_s_is_closed_and_a_logged_in_one_stays()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero));
        await using var daemon = await DaemonUnderTest.StartAsync(null, services => services.AddSingleton<TimeProvider>(clock));
        var origin = $"http://127.0.0.1:{daemon.Port}";
        await using var idle = await RpcClient.ConnectWebSocketAsync(daemon.WebSocketUri, o => o.SetRequestHeader("Origin", origin));
        await using var loggedIn = await RpcClient.ConnectWebSocketAsync(daemon.WebSocketUri, o => o.SetRequestHeader("Origin", origin));
        await loggedIn.CallAsync("authenticate", new { token = daemon.Token });
        Assert.That((int)(await idle.CallErrorAsync("status"))["code"]!, Is.EqualTo(1004), "connected, not yet closed");

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.That(idle.Closed.Task.IsCompleted, Is.False, "still within the 30 s");
        clock.Advance(TimeSpan.FromSeconds(2));

        await idle.Closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That((string)(await loggedIn.CallAsync("status"))["version"]!, Is.Not.Empty, "the logged-in connection is still served");
    }

    [Test]
    public void A_foreign_origin_is_refused_403_with_or_without_a_token()
    {
        var withoutToken = Assert.ThrowsAsync<WebSocketException>(() =>
            RpcClient.ConnectWebSocketAsync(_daemon.WebSocketUri, o => o.SetRequestHeader("Origin", "http://evil.example")));
        var withToken = Assert.ThrowsAsync<WebSocketException>(() => RpcClient.ConnectWebSocketAsync(_daemon.WebSocketUri, o =>
        {
            o.SetRequestHeader("Origin", "http://127.0.0.1:1");
            o.SetRequestHeader("Authorization", "Bearer " + _daemon.Token);
        }));

        Assert.That(withoutToken!.Message, Does.Contain("403"));
        Assert.That(withToken!.Message, Does.Contain("403"));
    }

    [Test]
    public void Without_an_Origin_a_missing_token_is_still_401()
    {
        var refused = Assert.ThrowsAsync<WebSocketException>(() => RpcClient.ConnectWebSocketAsync(_daemon.WebSocketUri, _ => { }));

        Assert.That(refused!.Message, Does.Contain("401"));
    }

    private static string WriteConfig(string json)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("scriptexec-page-config-").FullName, "config.json");
        File.WriteAllText(path, json);
        return path;
    }
}
