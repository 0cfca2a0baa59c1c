import { DASHBOARD_PATH } from './dashboard-session.service';

/** The dashboard's login form: plain HTML, no script, so the api's Content-Security-Policy needs no exception. */
export const LOGIN_PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>Evently queues: staff login</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #f4f5f7; display: grid; place-items: center; min-height: 100vh; margin: 0; }
    form { background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; display: grid; gap: .75rem; min-width: 18rem; }
    h1 { font-size: 1.2rem; margin: 0 0 .5rem; }
    input, button { font: inherit; padding: .5rem; }
  </style>
</head>
<body>
  <form method="post" action="${DASHBOARD_PATH}/login">
    <h1>Evently queues</h1>
    <label>Username <input name="username" autocomplete="username" required></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Log in</button>
  </form>
</body>
</html>
`;
