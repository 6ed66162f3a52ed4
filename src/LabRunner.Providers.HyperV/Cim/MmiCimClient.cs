using System.Runtime.Versioning;
using Microsoft.Management.Infrastructure;
using Microsoft.Management.Infrastructure.Options;

namespace LabRunner.Providers.HyperV.Cim;

/// <summary>
/// <see cref="ICimClient"/> over Microsoft.Management.Infrastructure: one local DCOM/WinRM-free
/// session (<c>CimSession.Create(null)</c> is the local computer), one EnumerateInstances per class.
/// </summary>
/// <remarks>
/// Windows only: the package's Unix runtime talks to OMI, which has no Hyper-V or NetNat providers,
/// and may not load at all. It is compiled and reviewed here, never run on Linux.
/// </remarks>
[SupportedOSPlatform("windows")]
public sealed class MmiCimClient : ICimClient, IDisposable
{
    private readonly Lazy<CimSession> _session = new(() => CimSession.Create(null), LazyThreadSafetyMode.ExecutionAndPublication);

    public Task<IReadOnlyList<CimRecord>> QueryAsync(string @namespace, string className, CancellationToken cancellationToken) =>
        // MMI enumerates synchronously; the operation options carry the token into MI, which stops
        // the enumeration when it is cancelled.
        Task.Run<IReadOnlyList<CimRecord>>(() =>
        {
            try
            {
                using var options = new CimOperationOptions { CancellationToken = cancellationToken };
                var records = new List<CimRecord>();
                foreach (var instance in _session.Value.EnumerateInstances(@namespace, className, options))
                {
                    using (instance)
                        records.Add(ToRecord(className, instance));
                }
                return records;
            }
            catch (CimException e)
            {
                throw new CimQueryException(HyperVErrors.CimFailureOf(e.NativeErrorCode), @namespace, className, e.Message, e);
            }
        }, cancellationToken);

    /// <summary>A WQL query (<c>SELECT * FROM CLASS WHERE CONDITION</c>); the condition is one of LabRunner's constants.</summary>
    public Task<IReadOnlyList<CimRecord>> QueryAsync(string @namespace, string className, string condition, CancellationToken cancellationToken) =>
        Task.Run<IReadOnlyList<CimRecord>>(() =>
        {
            try
            {
                using var options = new CimOperationOptions { CancellationToken = cancellationToken };
                var records = new List<CimRecord>();
                foreach (var instance in _session.Value.QueryInstances(@namespace, "WQL", $"SELECT * FROM {className} WHERE {condition}", options))
                {
                    using (instance)
                        records.Add(ToRecord(className, instance));
                }
                return records;
            }
            catch (CimException e)
            {
                throw new CimQueryException(HyperVErrors.CimFailureOf(e.NativeErrorCode), @namespace, className, e.Message, e);
            }
        }, cancellationToken);

    private static CimRecord ToRecord(string className, CimInstance instance)
    {
        var properties = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in instance.CimInstanceProperties)
            properties[property.Name] = Plain(property.Value);
        return new CimRecord(instance.CimSystemProperties.ClassName ?? className, properties);
    }

    /// <summary>Primitive values and arrays pass through; embedded instances and references are dropped (none is read).</summary>
    private static object? Plain(object? value) => value switch
    {
        CimInstance or CimInstance[] => null,
        _ => value,
    };

    public void Dispose()
    {
        if (_session.IsValueCreated) _session.Value.Dispose();
    }
}
