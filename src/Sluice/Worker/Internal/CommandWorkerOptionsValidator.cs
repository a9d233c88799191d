using Microsoft.Extensions.Options;

namespace Sluice.Internal;

/// <summary>Validates every worker's named <see cref="CommandWorkerOptions"/> when the host starts (ValidateOnStart).</summary>
internal sealed class CommandWorkerOptionsValidator : IValidateOptions<CommandWorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, CommandWorkerOptions options)
    {
        var problems = options.Problems();
        if (problems.Count == 0)
        {
            return ValidateOptionsResult.Success;
        }

        var prefix = $"Sluice worker '{name}': ";
        for (var i = 0; i < problems.Count; i++)
        {
            problems[i] = prefix + problems[i];
        }

        return ValidateOptionsResult.Fail(problems);
    }
}
