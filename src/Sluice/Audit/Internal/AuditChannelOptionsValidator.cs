using Microsoft.Extensions.Options;

namespace Sluice.Internal;

/// <summary>Validates an audit channel's <see cref="AuditChannelOptions{T}"/> when the host starts (ValidateOnStart).</summary>
internal sealed class AuditChannelOptionsValidator<T> : IValidateOptions<AuditChannelOptions<T>>
    where T : class, IAuditEntry<T>
{
    public ValidateOptionsResult Validate(string? name, AuditChannelOptions<T> options)
    {
        var problems = options.Problems();
        if (problems.Count == 0)
        {
            return ValidateOptionsResult.Success;
        }

        var prefix = $"Sluice audit channel '{T.TableName}': ";
        for (var i = 0; i < problems.Count; i++)
        {
            problems[i] = prefix + problems[i];
        }

        return ValidateOptionsResult.Fail(problems);
    }
}
