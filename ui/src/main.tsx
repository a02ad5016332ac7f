import '@picocss/pico/css/pico.min.css';
import './console.css';
import { render } from 'preact';
import { App } from './app';
import { savedLanguage } from './i18n';

document.documentElement.lang = savedLanguage();
render(<App />, document.getElementById('app')!);
