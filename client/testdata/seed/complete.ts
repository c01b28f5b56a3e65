import { createSocket } from '/livetemplate.mjs';
import { createBus, createLeaderElector } from '/livetemplate.mjs';

// ========== Initialization ==========
const bus = createBus({ channel: 'chat-app' });
const leader = createLeaderElector({
  key: 'chat-leader',
  tabId: `tab-${Date.now()}`,
});

let socket: ReturnType<typeof createSocket> | null = null;

// ========== Leader Management ==========
leader.start();

leader.on('acquire', () => {
  console.log('âœ… Became leader. Starting WebSocket connection');

  socket = createSocket({
    url: 'wss://chat.example.com/ws',
  });

  // Forward WebSocket messages to all tabs
  socket.onMessage((message) => {
    bus.publish('server-message', message);
  });

  socket.onOpen(() => {
    console.log('WebSocket connected');
    bus.publish('server-message', {
      type: 'system',
      message: 'WebSocket connected',
    });
  });

  socket.onClose(() => {
    console.log('WebSocket connection closed');
    socket = null;
  });

  socket.onError((error) => {
    console.error('WebSocket error:', error);
    bus.publish('server-message', {
      type: 'error',
      message: 'WebSocket connection error',
    });
  });
});

leader.on('lose', () => {
  console.log('âŒ Lost leadership. Closing WebSocket connection');
  if (socket) {
    socket.close();
    socket = null;
  }
});

// ========== Receive Server Messages (All Tabs) ==========
function handleServerMessage(message: any) {
  console.log('ðŸ“¨ Server message:', message);

  switch (message.type) {
    case 'chat':
      displayChatMessage(message);
      break;
    case 'notification':
      showNotification(message);
      break;
    case 'error':
      showError(message);
      break;
  }
}

// Leader also receives this message for consistency
bus.subscribe('server-message', (msg) => {
  handleServerMessage(msg.payload);
});

// ========== Send Messages to Server (All Tabs) ==========
function sendToServer(data: any) {
  // All tabs send in the same way
  bus.publish('to-server', data);
}

// Leader receives to-server messages and forwards via WebSocket
bus.subscribe('to-server', (message) => {
  if (leader.isLeader() && socket) {
    socket.send(message.payload);
  }
});

// ========== Usage Example ==========
// User sends chat message
document.getElementById('send-btn')?.addEventListener('click', () => {
  const input = document.getElementById('message-input') as HTMLInputElement;
  const text = input.value;

  if (text) {
    sendToServer({
      type: 'chat',
      text: text,
      timestamp: Date.now(),
    });
    input.value = '';
  }
});

// ========== Cleanup ==========
window.addEventListener('beforeunload', () => {
  leader.stop();
  bus.close();
  if (socket) {
    socket.close();
  }
});
