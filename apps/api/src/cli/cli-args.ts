/** `--name value` and `--name=value` pairs after the command. */
export function parseOptions(args: string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (let index = 0; index < args.length; index++) {
    const match = /^--([\w-]+)(?:=(.*))?$/.exec(args[index]);
    if (!match) throw new Error(`unexpected argument: ${args[index]}`);
    if (match[2] !== undefined) options[match[1]] = match[2];
    else if (args[index + 1] !== undefined && !args[index + 1].startsWith('--')) options[match[1]] = args[++index];
    else options[match[1]] = 'true';
  }
  return options;
}
