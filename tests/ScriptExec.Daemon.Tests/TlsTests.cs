using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests;

/// <summary>wss:// by configuration: an https listen URL with a PEM certificate and key.</summary>
public sealed class TlsTests
{
    [Test]
    public async Task Websocket_over_tls_serves_calls_with_the_configured_certificate()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-tls-").FullName;
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(dataDir, "cert.pem");
        var keyPath = Path.Combine(dataDir, "key.pem");
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        var config = Path.Combine(dataDir, "config.json");
        await File.WriteAllTextAsync(config, new JsonObject { ["tls_certificate"] = certPath, ["tls_key"] = keyPath }.ToJsonString());
        var port = DaemonUnderTest.FreePort();
        await using var daemon = await DaemonUnderTest.StartAsync(dataDir, overrides: null, "--config", config, "--listen", $"https://127.0.0.1:{port}");

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + daemon.Token);
        string? presented = null;
        socket.Options.RemoteCertificateValidationCallback = (_, cert, _, _) =>
        {
            presented = cert?.GetCertHashString();
            return cert is not null && cert.GetCertHashString() == certificate.GetCertHashString();
        };
        await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{port}/rpc"), CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"status"}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[64 * 1024];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var reply = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, received.Count))!;

        Assert.Multiple(() =>
        {
            Assert.That(presented, Is.EqualTo(certificate.GetCertHashString()));
            Assert.That(reply["result"]!["version"], Is.Not.Null);
        });
    }

    [TestCase("http://example.com:8765", "must be an IP address")]
    [TestCase("ftp://127.0.0.1:1", "http:// or https://")]
    [TestCase("http://127.0.0.1:1/rpc", "base URL")]
    public void Listen_url_errors_name_the_option(string listen, string message)
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-opt-").FullName;

        Assert.That(
            () => DaemonHost.Build(["--data-dir", dataDir, "--socket", Path.Combine(dataDir, "d.sock"), "--listen", listen]),
            Throws.TypeOf<OptionsException>().With.Message.StartsWith("listen:").And.Message.Contains(message));
    }

    [Test]
    public void Https_without_certificate_is_a_clear_configuration_error()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-tls-").FullName;

        Assert.That(
            () => DaemonHost.Build(["--data-dir", dataDir, "--socket", Path.Combine(dataDir, "d.sock"), "--listen", "https://127.0.0.1:1"]),
            Throws.TypeOf<OptionsException>().With.Message.Contains("tls_certificate"));
    }
}
