using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ScriptExec.Testing;

/// <summary>A throw-away CA, a server certificate for 127.0.0.1 and a client certificate it signed, as PEM files.</summary>
public sealed class TestCertificates
{
    private TestCertificates(string directory) => Directory = directory;

    public string Directory { get; }

    public string CaPath => Path.Combine(Directory, "ca.pem");

    public string ServerCertificatePath => Path.Combine(Directory, "server.pem");

    public string ServerKeyPath => Path.Combine(Directory, "server.key");

    public string ClientCertificatePath => Path.Combine(Directory, "client.pem");

    public string ClientKeyPath => Path.Combine(Directory, "client.key");

    public static TestCertificates Create(string directory)
    {
        var files = new TestCertificates(directory);
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = notBefore.AddDays(30);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=scriptexec test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);
        File.WriteAllText(files.CaPath, ca.ExportCertificatePem());

        Issue(ca, "CN=127.0.0.1", server: true, notBefore, notAfter, files.ServerCertificatePath, files.ServerKeyPath, 1);
        Issue(ca, "CN=device-tls", server: false, notBefore, notAfter, files.ClientCertificatePath, files.ClientKeyPath, 2);
        return files;
    }

    private static void Issue(
        X509Certificate2 ca, string subject, bool server, DateTimeOffset notBefore, DateTimeOffset notAfter, string certificatePath, string keyPath, byte serial)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        using var certificate = request.Create(ca, notBefore, notAfter, [serial, 0x42]);
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
    }
}
