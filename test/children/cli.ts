// The command line, run from source, as `hire-queue ...` would run it.
import { main } from '../../src/cli/main';

void main(process.argv);
